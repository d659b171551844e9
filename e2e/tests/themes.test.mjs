// Browser tests of the six themes: the case map by keyboard, every theme page, entries in
// each voice, withholding with a reason, the circle of support, and earlier versions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, signIn, checkAccessibility, text } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openPerson(page, query, name) {
  await page.goto(`${BASE}/people?q=${encodeURIComponent(query)}`);
  await Promise.all([page.waitForNavigation(), page.click(`#results a:has-text("${name}")`)]);
  return page.url();
}

test('the case map reaches every theme by keyboard alone', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  // Callum does not prefer easy read, so the map shows the themes' own names.
  const caseUrl = await openPerson(page, '999 000 0158', 'Callum Reddy');
  await checkAccessibility(page, 'case-map');
  const mapLinks = await page.locator('svg.ct-map a').count();
  assert.equal(mapLinks, 6);
  // Tab from the top of the page until a theme on the map has focus, then press Enter.
  await page.keyboard.press('Tab');
  let label = '';
  for (let i = 0; i < 40 && !label.startsWith('Circle of support'); i++) {
    await page.keyboard.press('Tab');
    label = await page.evaluate(() => (document.activeElement?.closest('svg') ? document.activeElement.textContent : ''));
  }
  assert.match(label, /^Circle of support\s*0 people/);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(page.url(), `${caseUrl}/themes/circle-of-support`);
  // The next Tab stops on the map go round the themes in order.
  await page.goto(caseUrl);
  await page.focus('svg.ct-map a[href$="circle-of-support"]');
  const order = [];
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => document.activeElement.getAttribute('href').split('/').pop()));
  }
  assert.deepEqual(order, ['about-me', 'problem-toolkits', 'joining-in', 'keeping-safe', 'progress']);
});

test('every theme takes entries in a stated voice and shows them with their author', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0220', 'Marta Kowalczyk');
  const themes = [
    ['about-me', 'working', 'own-words', 'I want people to speak slowly with me.'],
    ['problem-toolkits', 'worry', 'with-person', 'Panic in shops makes shopping hard.'],
    ['joining-in', 'working', 'own-words', 'Choir on Thursday evenings.'],
    ['keeping-safe', 'next-step', 'with-person', 'Agree a plan for when panic starts.'],
    ['progress', 'note', 'professional', 'Review every three months.'],
    ['circle-of-support', 'worry', 'perspective', 'Her sister lives far away.'],
  ];
  for (const [slug, kind, voice, words] of themes) {
    await page.goto(`${caseUrl}/themes/${slug}`);
    await page.check(`#kind-${kind}`);
    await page.fill('#body', words);
    await page.check(`#voice-${voice}`);
    if (voice === 'perspective') await page.fill('#perspective_of', 'Anna (friend)');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add")')]);
    const shown = await text(page);
    assert.ok(shown.includes(words), `${slug} shows the new entry`);
    assert.match(shown, /written by Priya Nair/);
    await checkAccessibility(page, `theme-${slug}`);
  }
  assert.match(await text(page), /Anna \(friend\)'s view/);
  await page.goto(caseUrl);
  const table = await text(page, 'table');
  assert.match(table, /Keeping safe and well 0 0 1/);
  assert.match(table, /Latest: Choir on Thursday evenings\./);
});

test('a risk is withheld from the person only with a reason, and the team sees the flag', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0158', 'Callum Reddy');
  await page.goto(`${caseUrl}/themes/keeping-safe`);
  await page.check('#kind-worry');
  await page.fill('#body', 'Contact with a former associate who is under investigation.');
  await page.check('#voice-professional');
  await page.click('summary:has-text("Not showing this to the person")');
  await page.check('#withhold');
  await page.click('button:has-text("Add")');
  const problems = await text(page, '.nhsuk-error-summary');
  assert.match(problems, /Enter the reason for not showing this to the person/);
  assert.match(problems, /Enter the date/);
  await checkAccessibility(page, 'withhold-errors');
  assert.equal(await page.inputValue('#body'), 'Contact with a former associate who is under investigation.');
  const next = new Date(Date.now() + 60 * 24 * 3600 * 1000);
  await page.fill('#withhold_reason', 'Police have asked us not to share this yet.');
  await page.fill('#review_day', String(next.getDate()));
  await page.fill('#review_month', String(next.getMonth() + 1));
  await page.fill('#review_year', String(next.getFullYear()));
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add")')]);
  assert.match(await text(page), /Not shown to the person until .*Police have asked us not to share this yet\./);
  await page.goto(caseUrl);
  assert.match(await text(page, '.nhsuk-warning-callout'), /1 entry is withheld from the person/);
});

test('the circle of support is drawn in rings, asks who is missing, and keeps every version', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0360', 'Eileen Fairbairn');
  await page.goto(`${caseUrl}/themes/circle-of-support`);
  assert.match(await text(page), /No one is in the circle yet/);
  await page.click('text=Add someone to the circle');
  await checkAccessibility(page, 'circle-add');
  await page.fill('#name', 'Moira Fairbairn');
  await page.click('button:has-text("Save")');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter their relationship or role/);
  await page.fill('#relationship', 'Daughter');
  await page.check('#source-personal-network');
  await page.check('#involvement-core');
  await page.fill('#brings', 'Joins every phone call and does the shopping.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  const shown = await text(page);
  assert.match(shown, /There is no GP in the circle/);
  assert.doesNotMatch(shown, /No one from the person's own network/);
  assert.equal(await page.locator('svg.ct-circle .ct-dot').count(), 1);
  await checkAccessibility(page, 'circle');
  await page.click('a:has-text("Change Moira Fairbairn")');
  await page.check('#involvement-regular');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  await page.click('a:has-text("History of Moira Fairbairn")');
  const history = await text(page);
  assert.match(history, /Version 2/);
  assert.match(history, /Involvement Regular/);
  assert.match(history, /Involvement Core \(closest\)/);
  await checkAccessibility(page, 'circle-history');
});

test('an entry can be changed and its earlier versions read', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0433', 'Raj Menon');
  await page.goto(`${caseUrl}/themes/joining-in`);
  await page.check('#kind-working');
  await page.fill('#body', 'Walks to the park most days.');
  await page.check('#voice-with-person');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add")')]);
  await page.click('a:has-text("Change this entry")');
  await checkAccessibility(page, 'entry-edit');
  await page.fill('#body', 'Walks to the park most days with his neighbour.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  assert.match(await text(page), /with his neighbour/);
  await page.click('a:has-text("Earlier versions of this entry")');
  const history = await text(page);
  assert.match(history, /Version 2:.*with his neighbour/);
  assert.match(history, /Version 1:.*Walks to the park most days\./);
  await checkAccessibility(page, 'entry-history');
});

test('easy read: large type and pictures, switchable, and a printable summary of the six themes', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  // Bernie prefers easy read, so her record opens in it.
  const caseUrl = await openPerson(page, '999 000 0506', "Bernie O'Rourke");
  assert.equal(await page.getAttribute('body', 'class'), 'ct-easy-read');
  assert.match(await page.locator('svg.ct-map').textContent(), /Who helps me\?/);
  await checkAccessibility(page, 'case-map-easy-read');
  const size = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('main p')).fontSize));
  assert.ok(size >= 21, `easy-read text is large (${size}px)`);
  await page.goto(`${caseUrl}/themes/about-me`);
  assert.match(await text(page, 'h1'), /What I want you to know about me/);
  assert.equal(await page.locator('h1 svg.ct-picto').count(), 1);
  await checkAccessibility(page, 'theme-easy-read');
  await page.click('text=Switch off easy read');
  assert.equal(page.url(), `${caseUrl}/themes/about-me`);
  assert.equal(await page.getAttribute('body', 'class'), null);
  assert.match(await text(page, 'h1'), /^About me$/);
  await page.click('text=Switch to easy read');
  await page.goto(caseUrl);
  await page.click('text=Easy-read summary to print or share');
  const summary = await text(page);
  assert.match(summary, /My care in six parts/);
  assert.equal(await page.locator('.ct-summary-theme').count(), 6);
  assert.ok(await page.isVisible('button:has-text("Print this page")'), 'the print button appears with JavaScript');
  await checkAccessibility(page, 'summary');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('header'), false, 'the printout has no site header');
});

test('the review plan is agreed in the progress theme and shown on the case', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0298', 'Dev Ashworth');
  await page.goto(`${caseUrl}/themes/progress`);
  await page.click('text=Agree how often we review');
  await checkAccessibility(page, 'review-plan');
  await page.fill('#every_weeks', '200');
  await page.click('button:has-text("Save")');
  assert.match(await text(page, '.nhsuk-error-summary'), /from 1 to 104/);
  await checkAccessibility(page, 'review-plan-errors');
  const next = new Date(Date.now() + 90 * 24 * 3600 * 1000);
  await page.fill('#every_weeks', '13');
  await page.fill('#next_day', String(next.getDate()));
  await page.fill('#next_month', String(next.getMonth() + 1));
  await page.fill('#next_year', String(next.getFullYear()));
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  assert.match(await text(page), /Reviewed every 13 weeks\. The next review is on/);
  await page.goto(caseUrl);
  assert.match(await text(page, '.nhsuk-card'), /Reviews every 13 weeks; next on/);
});

test('the Good Lives checklist is gone through together and shown in joining in', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0573', 'Kwame Asante-Boateng');
  await page.goto(`${caseUrl}/themes/joining-in`);
  await page.click('text=Go through the Good Lives checklist');
  await checkAccessibility(page, 'good-lives');
  await page.fill('#pleasure-note', 'Loves football on the radio');
  await page.click('button:has-text("Save the checklist")');
  assert.match(await text(page, '.nhsuk-error-summary'), /before adding a note/);
  assert.equal(await page.inputValue('#pleasure-note'), 'Loves football on the radio');
  await page.check('#pleasure-in-place');
  await page.check('#work-not-yet');
  await page.fill('#work-note', 'Would like volunteering at the food bank');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save the checklist")')]);
  const shown = await text(page, '#good-lives ~ dl');
  assert.match(shown, /Pleasure: enjoying life day to day In my life: Loves football on the radio/);
  assert.match(shown, /Work: doing something useful and doing it well Not yet: Would like volunteering at the food bank/);
});

test('problem areas are counted, described as a diagnosis or in plain words, and linked', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0646', 'Leanne Pickering');
  await page.goto(`${caseUrl}/themes/problem-toolkits`);
  assert.match(await text(page, '#problem-areas'), /Problem areas \(0\)/);
  await page.click('text=Add a problem area');
  await checkAccessibility(page, 'problem-add');
  await page.fill('#name', 'Chronic pain');
  await page.click('button:has-text("Save")');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter how it affects daily life/);
  await checkAccessibility(page, 'problem-add-errors');
  await page.check('#described_as-diagnosis');
  await page.fill('#code', 'M79.7');
  await page.fill('#impact', 'Cannot stand long enough to cook.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  await page.click('text=Add a problem area');
  await page.fill('#name', 'Feeling low in the mornings');
  await page.check('#described_as-plain-words');
  await page.fill('#impact', 'Misses morning appointments.');
  await page.fill('#next_initiatives', 'Try afternoon appointments.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  assert.match(await text(page, '#problem-areas'), /Problem areas \(2\)/);
  await page.selectOption('select[name="other"] >> nth=0', { label: 'Feeling low in the mornings' });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Link") >> nth=0')]);
  const listed = await text(page);
  assert.match(listed, /1\. Chronic pain \(M79\.7\)/);
  assert.match(listed, /Linked with Feeling low in the mornings/);
  assert.match(listed, /Linked with Chronic pain/);
  await checkAccessibility(page, 'problem-areas');
});

test('a risk area is written with the person, and a best-interests decision records who, when and why', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0220', 'Marta');
  await page.goto(`${caseUrl}/themes/keeping-safe`);
  await page.check('#kind-worry');
  await page.selectOption('#topic', 'risk-vulnerability');
  await page.fill('#body', 'Asked for money by people at the bus stop.');
  await page.check('#voice-with-person');
  await page.fill('#risk_helps_now', 'Checking with her key worker before lending anything.');
  await page.click('button:has-text("Add")');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter how the person understands this risk/);
  assert.equal(await page.inputValue('#risk_helps_now'), 'Checking with her key worker before lending anything.');
  await checkAccessibility(page, 'risk-errors');
  await page.fill('#risk_understanding', 'Some people are only nice to me when they want money.');
  await page.fill('#risk_would_help', 'A bank card with a daily limit.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add")')]);
  const risk = await text(page, '#risk-vulnerability + p + .ct-entry');
  assert.match(risk, /How they understand it\s*Some people are only nice to me when they want money\./);
  assert.match(risk, /What else would help\s*A bank card with a daily limit\./);

  await page.check('#kind-note');
  await page.selectOption('#topic', 'capacity-consent-dignity');
  await page.fill('#body', 'Blood test at home rather than at the surgery.');
  await page.check('#voice-professional');
  await page.click('summary:has-text("Recording a best-interests decision")');
  await page.check('#best_interests');
  await page.fill('#decided_by', 'Dr Adeyemi with her sister');
  await page.fill('#decided_day', '2');
  await page.fill('#decided_month', '10');
  await page.fill('#decided_year', '2026');
  await page.fill('#decided_why', 'She could not weigh up the test at the time, and the surgery frightens her.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add")')]);
  const decision = await text(page, '#capacity-consent-dignity + p + .ct-entry');
  assert.match(decision, /Best-interests decision: Blood test at home/);
  assert.match(decision, /Decided by\s*Dr Adeyemi with her sister/);
  assert.match(decision, /Decided on\s*2 October 2026/);
  await checkAccessibility(page, 'keeping-safe-particulars');
  await page.screenshot({ path: 'artifacts/keeping-safe-particulars.png', fullPage: true });
});

test('the person answers an entry in their record with a comment, on their phone', async () => {
  const kw = await newPage(browser);
  await signIn(kw, 'demo-keyworker');
  const caseUrl = await openPerson(kw, '999 000 0018', 'Baptiste');
  await kw.goto(`${caseUrl}/themes/joining-in`);
  await kw.check('#kind-working');
  await kw.fill('#body', 'Goes swimming on Tuesdays with the group.');
  await kw.check('#voice-professional');
  await Promise.all([kw.waitForNavigation(), kw.click('form[action$="/entries"] button[type="submit"]')]);

  const jordy = await newPage(browser, { width: 390, height: 844 });
  await signIn(jordy, 'demo-person');
  await jordy.goto(`${caseUrl}/themes/joining-in`);
  const entry = jordy.locator('.ct-entry', { hasText: 'Goes swimming on Tuesdays' });
  await entry.locator('summary:has-text("Add a comment")').click();
  await Promise.all([jordy.waitForNavigation(), entry.locator('button:has-text("Save comment")').click()]);
  assert.match(await text(jordy, '.ct-entry .nhsuk-error-message'), /Write your comment first/);
  await checkAccessibility(jordy, 'comment-error');
  const again = jordy.locator('.ct-entry', { hasText: 'Goes swimming on Tuesdays' });
  await again.locator('textarea').fill('I go on Thursdays now, with Sam.');
  await Promise.all([jordy.waitForNavigation(), again.locator('button:has-text("Save comment")').click()]);
  assert.match(await jordy.locator('.ct-entry', { hasText: 'Goes swimming' }).innerText(), /Jordan Baptiste \(the person\)[\s\S]*I go on Thursdays now, with Sam\./);
  await checkAccessibility(jordy, 'comment-added');

  await kw.reload();
  assert.match(await kw.locator('.ct-entry', { hasText: 'Goes swimming' }).innerText(), /I go on Thursdays now, with Sam\./);
  await kw.close();
  await jordy.close();
});
