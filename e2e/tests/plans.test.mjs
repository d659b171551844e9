// Browser tests of the care and support plan: the person writing their own goal, the key worker
// adding the crisis plan, agreeing and activating it, a second version and what changed, the
// crisis view (one click from the record, one printed page), the easy-read PDF the person
// downloads, consent to share, and the team's plan-quality report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { extractText, getDocumentProxy } from 'unpdf';
import { BASE, SHOTS, launch, newPage, signIn, checkAccessibility, text } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openPerson(page, query, name) {
  await page.goto(`${BASE}/people?q=${encodeURIComponent(query)}`);
  await Promise.all([page.waitForNavigation(), page.click(`#results a:has-text("${name}")`)]);
  return page.url();
}

async function submit(page, label) {
  await Promise.all([page.waitForNavigation(), page.click(`button:has-text("${label}")`)]);
}

async function pdfText(bytes) {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { text: pages } = await extractText(pdf, { mergePages: true });
  return { pages: pdf.numPages, text: pages };
}

test('the person writes a goal, the key worker agrees and activates the plan, and a second version says what changed', async () => {
  // Jordan, signed in as themselves, writes a goal in their own words from their home page.
  const phone = await newPage(browser, { width: 390, height: 844 });
  await signIn(phone, 'demo-person');
  await phone.goto(`${BASE}/me`);
  await Promise.all([phone.waitForNavigation(), phone.click('a:has-text("My care and support plan")')]);
  const planUrl = phone.url();
  assert.match(planUrl, /\/people\/[0-9a-f-]{36}\/plan$/);
  await Promise.all([phone.waitForNavigation(), phone.click('a:has-text("Add a goal")')]);
  assert.equal(await phone.locator('input[name="voice"]').count(), 0, 'the person is not asked whose words these are');
  await submit(phone, 'Save the goal');
  assert.match(await text(phone, '.nhsuk-error-summary'), /Enter what matters to you\./);
  await checkAccessibility(phone, 'plan-goal-errors-person');
  await phone.fill('#what_matters', 'Cooking for my friends');
  await phone.fill('#achieve', 'Cook a Sunday dinner for four people');
  await phone.fill('#step_what_1', 'Learn to make a roast with Mum');
  await phone.fill('#step_by_1', '2027-02-28');
  await phone.fill('#commitment', 'I will write the shopping list');
  await submit(phone, 'Save the goal');
  assert.equal(phone.url(), planUrl);
  const mine = await text(phone);
  assert.match(mine, /Cook a Sunday dinner for four people/);
  assert.match(mine, /In their own words/);
  assert.match(mine, /Draft version 1: not agreed yet/);
  assert.ok(await phone.isVisible('button:has-text("I agree with my plan")'), 'the person can agree to it themselves');
  await checkAccessibility(phone, 'plan-person-draft');
  await phone.close();

  // The key worker adds the crisis plan: a contact without a number is refused, nothing lost.
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  await openPerson(page, '999 000 0018', 'Baptiste');
  await Promise.all([page.waitForNavigation(), page.click('.ct-record-nav a:has-text("Care plan")')]);
  assert.equal(page.url(), planUrl);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Change the escalation plan")')]);
  await page.fill('#warning_signs', 'Stops eating\nPaces at night');
  await page.fill('#what_to_do', 'Sit with Jordan and offer tea\nRing Lorna');
  await page.fill('#what_not_to_do', 'Do not touch Jordan without asking');
  await page.fill('#contact_name_1', 'Lorna Baptiste');
  await page.fill('#contact_role_1', 'Mum');
  await submit(page, 'Save the escalation plan');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter a phone number for Lorna Baptiste/);
  assert.equal(await page.inputValue('#warning_signs'), 'Stops eating\nPaces at night', 'typing is kept');
  await checkAccessibility(page, 'plan-escalation-errors');
  await page.fill('#contact_phone_1', '07700 900318');
  await page.fill('#contact_hours_1', 'Any time');
  await submit(page, 'Save the escalation plan');

  // Agreeing needs the person's agreement recorded.
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Record agreement to this draft")')]);
  await submit(page, 'Record agreement');
  assert.match(await text(page, '.nhsuk-error-summary'), /Record Jordy Baptiste's agreement, or the best-interests decision/);
  await page.check('#agreed_by-themselves');
  await page.selectOption('#how', 'in-person');
  await page.fill('#others', 'Lorna (mum)');
  await checkAccessibility(page, 'plan-agree');
  await submit(page, 'Record agreement');
  assert.match(await text(page), /Version 1 is agreed but not in use yet/);
  await submit(page, 'Start using version 1');
  const active = await text(page);
  assert.match(active, /Version 1 is Active: Jordy Baptiste agreed it \(in person\), with Lorna \(mum\)/);
  assert.match(active, /Review due by/);
  await checkAccessibility(page, 'plan-active');

  // Changing the active plan starts version 2; version 1 stays in force, under review.
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Add a goal")')]);
  await page.check('#voice-with-person');
  await page.fill('#what_matters', 'Sleeping better');
  await page.fill('#achieve', 'Sleep through the night most nights');
  await page.selectOption('#step_who_1', { label: 'Jordy Baptiste' });
  await page.fill('#step_what_1', 'Keep the phone out of the bedroom');
  await submit(page, 'Save the goal');
  const drafting = await text(page);
  assert.match(drafting, /Version 1 is Under review/);
  assert.match(drafting, /Draft version 2: not agreed yet/);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Record agreement to this draft")')]);
  await page.check('#agreed_by-themselves');
  await page.selectOption('#how', 'by-phone-or-video');
  await submit(page, 'Record agreement');
  await submit(page, 'Start using version 2');
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("versions and what changed")')]);
  await submit(page, 'Show what changed');
  const changes = await text(page, '.ct-changes');
  assert.match(changes, /New goal: “Sleep through the night most nights”/);
  assert.match(await text(page, 'table'), /Superseded/);
  await checkAccessibility(page, 'plan-versions-diff');

  // The crisis plan is one click from anywhere in the record and prints on one page.
  await page.goto(planUrl.replace(/\/plan$/, '/tasks'));
  await Promise.all([page.waitForNavigation(), page.click('.ct-record-nav a:has-text("Crisis plan")')]);
  const crisis = await text(page);
  assert.match(crisis, /07700 900318/);
  assert.match(crisis, /Do not touch Jordan without asking/);
  assert.equal(await page.getAttribute('a.ct-crisis__number', 'href'), 'tel:07700900318');
  await checkAccessibility(page, 'plan-crisis');
  await page.emulateMedia({ media: 'print' });
  const printed = await pdfText(await page.pdf({ format: 'A4' }));
  assert.equal(printed.pages, 1, 'the crisis plan prints on one page');
  assert.match(printed.text, /07700 900318/);
  await page.close();
});

test('the person downloads their easy-read plan as a PDF with their goals in it', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-person');
  await page.goto(`${BASE}/me`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("My plan in easy read")')]);
  const easy = await text(page);
  assert.match(easy, /Jordy Baptiste's plan/);
  assert.match(easy, /Cook a Sunday dinner for four people/);
  await checkAccessibility(page, 'plan-easy-read');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Download my plan (PDF)")')]);
  assert.match(download.suggestedFilename(), /^care-plan-version-2\.pdf$/);
  const path = await download.path();
  const bytes = await (await import('node:fs/promises')).readFile(path);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  await (await import('node:fs/promises')).writeFile(`${SHOTS}/plan-easy-read.pdf`, bytes);
  const pdf = await pdfText(bytes);
  assert.match(pdf.text, /Cook a Sunday dinner for four people/);
  assert.match(pdf.text, /Sleep through the night most nights/);
  assert.match(pdf.text, /07700 900318/);

  // Jordan writes about themselves in their own words.
  await page.goto(`${BASE}/me`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Write about me in my own words")')]);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add to about me")')]);
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter what you want to record/);
  await page.check('#kind-working');
  await page.fill('#body', 'I am good at fixing bikes');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add to about me")')]);
  assert.match(await text(page), /I am good at fixing bikes/);
  await checkAccessibility(page, 'about-me-person');

  // Jordan can see who has looked at their record: the key worker opened their plan.
  await page.goto(`${BASE}/me`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Who has looked at my record")')]);
  const looks = await text(page, 'table');
  assert.match(looks, /Priya Nair \(Key worker\)/);
  assert.match(looks, /Opened the care plan/);
  await checkAccessibility(page, 'looks-person');
  await page.close();
});

test('consent to share is recorded and withdrawn, and the plan-quality report drills down to the plans that fall short', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0085', 'Karimi');
  await Promise.all([page.waitForNavigation(), page.click('.ct-record-nav a:has-text("Consent to share")')]);
  assert.match(await text(page), /Samira Karimi \(Mum\)/);
  await page.check('#with_kind-role');
  await page.fill('#role', 'Ambulance crew');
  await page.check('#scope-escalation');
  await page.fill('#purpose', 'So the crew know what helps Aisha');
  await page.fill('#from', '2026-12-01');
  await page.fill('#until', '2026-11-01');
  await page.check('#given-verbal');
  await submit(page, 'Record consent');
  assert.match(await text(page, '.nhsuk-error-summary'), /Consent cannot end before it starts/);
  assert.equal(await page.inputValue('#role'), 'Ambulance crew', 'typing is kept');
  await checkAccessibility(page, 'consent-errors');
  await page.fill('#until', '2027-12-01');
  await submit(page, 'Record consent');
  const card = page.locator('.nhsuk-card', { hasText: 'Anyone working as: Ambulance crew' });
  assert.match(await card.innerText(), /The escalation \(crisis\) plan only/);
  await card.locator('input[name="reason"]').fill('Aisha changed her mind');
  await Promise.all([page.waitForNavigation(), card.locator('button:has-text("Withdraw this consent")').click()]);
  assert.match(await page.locator('.nhsuk-card', { hasText: 'Ambulance crew' }).innerText(), /Withdrawn[\s\S]*Aisha changed her mind/);
  await checkAccessibility(page, 'consents');

  await page.goto(caseUrl);
  await Promise.all([page.waitForNavigation(), page.click('.nhsuk-header__navigation a:has-text("Plan quality")')]);
  await page.selectOption('#team', 'all');
  await submit(page, 'Show');
  const report = await text(page, 'table');
  assert.match(report, /Goals in the person's own words/);
  assert.match(report, /Escalation plan present/);
  await checkAccessibility(page, 'plan-quality');
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Escalation plan present")')]);
  const shortfalls = await text(page, 'main');
  assert.match(shortfalls, /Plans not meeting: Escalation plan present/);
  assert.match(shortfalls, /There is no agreed plan yet\./, 'people without a plan are listed with the reason');
  assert.doesNotMatch(shortfalls, /Aisha Karimi/, 'her plan has an escalation plan');
  await checkAccessibility(page, 'plan-quality-drilldown');
  await page.close();
});
