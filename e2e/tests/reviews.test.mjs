// Browser tests of reviews: scheduling, attendance, votes by the chair going round the table and
// by the person on their own sign-in, the democratic outcome, sign-off and the lock after it.
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

async function vote(page, choices) {
  for (const [theme, choice] of Object.entries(choices)) {
    await page.click(`label[for="vote-${theme}-${choice}"]`);
  }
}

test('a formal review is scheduled, voted on by five people in both ways, signed off and shown on the map', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0018', 'Baptiste');
  await page.goto(`${caseUrl}/themes/progress`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Schedule a review")')]);
  await page.fill('#time', 'half two');
  await page.click('button:has-text("Schedule the review")');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter the date/);
  assert.match(await text(page, '.nhsuk-error-summary'), /24-hour clock/);
  await checkAccessibility(page, 'review-schedule-errors');
  const soon = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  await page.fill('#day', String(soon.getDate()));
  await page.fill('#month', String(soon.getMonth() + 1));
  await page.fill('#year', String(soon.getFullYear()));
  await page.fill('#time', '14:30');
  await page.fill('#place', 'Westmere Resource Centre, room 2');
  await page.fill('#other_name', 'Ola Mensah');
  await page.fill('#other_role', 'Advocate');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Schedule the review")')]);
  const reviewUrl = page.url().split('#')[0];
  assert.match(reviewUrl, /\/reviews\/[0-9a-f-]{36}$/);

  for (const [name, role] of [['Lorna Baptiste', 'Mum'], ['Dr Okafor', 'Psychiatrist'], ['Sam Reid', 'Support worker']]) {
    await page.click('summary:has-text("Add someone else")');
    await page.fill('#name', name);
    await page.fill('#role', role);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/attendees"] button')]);
  }
  const selects = page.locator('select[name^="attendance-"]');
  assert.equal(await selects.count(), 5);
  for (let i = 0; i < 5; i++) await selects.nth(i).selectOption(i === 2 ? 'sent-views' : 'present');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save attendance")')]);
  await checkAccessibility(page, 'review-open');

  // The chair goes round the table for the four people who are not Jordan.
  const votes = [
    { 'circle-of-support': 'progressed', 'about-me': 'progressed', 'problem-toolkits': 'unchanged', 'joining-in': 'progressed', 'keeping-safe': 'slipped-back' },
    { 'circle-of-support': 'progressed', 'about-me': 'unchanged', 'problem-toolkits': 'unchanged', 'joining-in': 'progressed', 'keeping-safe': 'unchanged' },
    { 'circle-of-support': 'unchanged', 'about-me': 'progressed', 'problem-toolkits': 'progressed', 'joining-in': 'progressed', 'keeping-safe': 'slipped-back' },
    { 'circle-of-support': 'progressed', 'about-me': 'progressed', 'problem-toolkits': 'unchanged', 'joining-in': 'progressed', 'keeping-safe': 'progressed' },
  ];
  const links = page.locator('a:has-text("Record votes")');
  const hrefs = [];
  for (let i = 0; i < await links.count(); i++) hrefs.push(await links.nth(i).getAttribute('href'));
  assert.equal(hrefs.length, 5);
  for (const [i, href] of hrefs.slice(1).entries()) {
    await page.goto(`${BASE}${href}`);
    await vote(page, votes[i]);
    if (i === 0) {
      await page.fill('#comment-keeping-safe', 'Two falls since the summer');
      await checkAccessibility(page, 'review-ballot-chair');
    }
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("votes")')]);
  }

  // Jordan votes on their own phone, from their own sign-in.
  const phone = await newPage(browser, { width: 390, height: 844 });
  await signIn(phone, 'demo-person');
  await phone.goto(`${BASE}/me`);
  await Promise.all([phone.waitForNavigation(), phone.click('a:has-text("Give my votes")')]);
  await vote(phone, { 'circle-of-support': 'progressed', 'about-me': 'progressed', 'problem-toolkits': 'slipped-back', 'joining-in': 'progressed', 'keeping-safe': 'progressed' });
  await checkAccessibility(phone, 'review-ballot-own-device');
  await Promise.all([phone.waitForNavigation(), phone.click('button:has-text("votes")')]);
  assert.match(await text(phone), /The democratic outcome/);
  assert.equal(await phone.locator('button:has-text("Save attendance")').count(), 0, 'the person cannot change the review');

  await page.goto(reviewUrl);
  const outcome = await text(page, 'table:has(caption:has-text("Votes by theme"))');
  assert.match(outcome, /Keeping safe and well Split: no clear majority Views differed 2 progressed, 1 stayed the same, 2 slipped back Progressed/);
  assert.match(outcome, /Joining in and living a good life Progressed 5 progressed, 0 stayed the same, 0 slipped back Progressed/);
  assert.match(outcome, /Problem toolkits Stayed the same Views differed 1 progressed, 3 stayed the same, 1 slipped back Slipped back/);

  await page.click('button:has-text("Sign off the review")');
  await page.waitForLoadState();
  assert.match(await text(page, '.nhsuk-error-summary'), /Nobody has voted on What progress am I making/);
  await page.check('#not-discussed-progress');
  await page.fill('#notes-about-me', 'Jordy led this part and talked about the new flat.');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save the minutes")')]);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign off the review")')]);
  assert.match(await text(page), /Signed off by Priya Nair/);
  assert.match(await text(page), /Jordy led this part and talked about the new flat\./);
  assert.equal(await page.locator('a:has-text("Record votes")').count(), 0, 'no votes after sign-off');
  await checkAccessibility(page, 'review-signed-off');

  await page.goto(caseUrl);
  assert.match(await text(page, 'table:has(caption:has-text("The six themes at a glance"))'), /Last review: Split: no clear majority/);
  await page.goto(`${caseUrl}/themes/progress`);
  assert.match(await text(page, 'table:has(caption:has-text("Reviews and their outcomes"))'), /Formal case review/);
  await checkAccessibility(page, 'progress-with-reviews');
});

test('a prompt sheet from the person, actions as tasks in their owner\'s list, a trajectory over two reviews, and Today', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  const caseUrl = await openPerson(page, '999 000 0018', 'Baptiste');
  await page.goto(`${caseUrl}/reviews/new`);
  await page.check('#kind-conversation');
  const later = new Date(Date.now() + 14 * 24 * 3600 * 1000);
  await page.fill('#day', String(later.getDate()));
  await page.fill('#month', String(later.getMonth() + 1));
  await page.fill('#year', String(later.getFullYear()));
  await page.fill('#time', '10:00');
  await page.fill('#place', 'Home visit');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Schedule the review")')]);
  const reviewUrl = page.url().split('#')[0];

  // The person fills in their prompt sheet on their phone.
  const phone = await newPage(browser, { width: 390, height: 844 });
  await signIn(phone, 'demo-person');
  await phone.goto(`${BASE}/me`);
  const sheetLinks = phone.locator('a:has-text("Before my review")');
  await Promise.all([phone.waitForNavigation(), sheetLinks.last().click()]);
  await phone.click('button:has-text("Save my answers")');
  assert.match(await text(phone, '.nhsuk-error-summary'), /Write something in at least one box/);
  await phone.fill('#going-well-joining-in', 'I started at the café on Mondays.');
  await phone.fill('#worries-keeping-safe', 'The man at the bus stop asks me for money.');
  await phone.fill('#who-i-want-there', 'Mum and Priya');
  await checkAccessibility(phone, 'prompt-sheet');
  await Promise.all([phone.waitForNavigation(), phone.click('button:has-text("Save my answers")')]);
  assert.match(await text(phone), /Your answers are saved/);

  await page.goto(reviewUrl);
  assert.match(await text(page), /says is going well: I started at the café on Mondays\./);
  assert.match(await text(page), /Who Jordy Baptiste wants there: Mum and Priya/);
  const selects = page.locator('select[name^="attendance-"]');
  assert.equal(await selects.inputValue(), 'sent-views', 'the sheet counts as their views');
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Record votes")')]);
  await vote(page, { 'circle-of-support': 'progressed', 'about-me': 'progressed', 'problem-toolkits': 'progressed', 'joining-in': 'progressed', 'keeping-safe': 'unchanged' });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("votes")')]);

  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Add an action as a task")')]);
  await page.fill('#title', 'Ask the café about a second day');
  await page.selectOption('#owner', 'person');
  await page.fill('#due_day', '1');
  await page.fill('#due_month', '11');
  await page.fill('#due_year', '2026');
  await page.selectOption('#theme', 'joining-in');
  await checkAccessibility(page, 'tasks-add-from-review');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add the task")')]);
  assert.match(await text(page, '#actions ~ .ct-table-scroll'), /Ask the café about a second day.*Overdue/);

  await page.check('#not-discussed-progress');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save the minutes")')]);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign off the review")')]);
  assert.match(await text(page), /Signed off by Priya Nair/);

  await page.goto(`${caseUrl}/themes/progress`);
  const chart = page.locator('svg.ct-trajectory');
  assert.equal(await chart.count(), 1, 'the trajectory is drawn');
  assert.ok(await chart.locator('circle').count() >= 9, 'two reviews across the themes');
  await checkAccessibility(page, 'trajectory');

  await phone.goto(`${BASE}/tasks`);
  assert.match(await text(phone), /Ask the café about a second day.*Overdue/);
  await checkAccessibility(phone, 'my-tasks-person');

  await page.goto(`${caseUrl}/tasks`);
  await Promise.all([page.waitForNavigation(), page.click('a:has-text("Change")')]);
  await page.selectOption('#status', 'blocked');
  await page.click('button:has-text("Save")');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter why it is blocked/);
  await page.fill('#blocked_reason', 'The café manager is away until January.');
  await checkAccessibility(page, 'task-edit');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save")')]);
  assert.match(await text(page), /Blocked: The café manager is away until January\./);

  await page.goto(`${BASE}/today?team=all`);
  assert.match(await text(page, '#overdue + ul'), /Ask the café about a second day/);
  await checkAccessibility(page, 'today');
});
