// Browser tests of the foundation pages: sign-in, caseload, search, register (a bad NHS number,
// then a good one), edit, history, close and reopen, the person's own page, administration and
// the audit log. Every page gets an axe-core check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, signIn, checkAccessibility, text } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('sign-in refuses a wrong password, then signs in and out', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/caseload`);
  assert.match(page.url(), /\/sign-in\?next=%2Fcaseload$/);
  await checkAccessibility(page, 'sign-in');
  await page.fill('#username', 'demo-keyworker');
  await page.fill('#password', 'not the password');
  await page.click('button:has-text("Sign in")');
  assert.match(await text(page), /Enter a correct username and password/);
  await checkAccessibility(page, 'sign-in-error');
  assert.equal(await page.inputValue('#username'), 'demo-keyworker', 'the username typed is kept');
  await page.fill('#password', 'carethread-demo');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign in")')]);
  assert.match(page.url(), /\/caseload$/, 'goes on to the page first asked for');
  await page.click('button:has-text("Sign out")');
  assert.match(await text(page), /You have signed out/);
  await page.goto(`${BASE}/caseload`);
  assert.match(page.url(), /\/sign-in/);
});

test('the caseload lists the key worker\'s people and finds people by name, NHS number and date of birth', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  assert.match(page.url(), /\/caseload$/);
  const caseload = await text(page);
  assert.match(caseload, /\d+ people allocated to you with an open case/);
  assert.match(caseload, /Jordy Baptiste/);
  assert.doesNotMatch(caseload, /Leanne Pickering/, 'closed cases are hidden by default');
  await checkAccessibility(page, 'caseload');
  await page.click('text=Include closed cases');
  assert.match(await text(page), /Leanne Pickering/);

  await page.goto(`${BASE}/people`);
  await checkAccessibility(page, 'search');
  for (const [query, expected] of [['kowal', 'Marta Kowalczyk'], ['999 000 0085', 'Aisha Karimi'], ['14/12/1951', "Bernie O'Rourke"]]) {
    await page.fill('#q', query);
    await page.press('#q', 'Enter');
    await page.waitForSelector(`#results a:has-text("${expected}")`);
  }
  await checkAccessibility(page, 'search-results');
  await page.fill('#q', '999 000 0086');
  await page.press('#q', 'Enter');
  await page.waitForSelector('#q-error');
  assert.match(await text(page, '#q-error'), /check/);
  await checkAccessibility(page, 'search-error');
});

test('registering refuses a bad NHS number, keeps what was typed, then registers and allocates', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  await page.click('nav >> text=Register a person');
  await checkAccessibility(page, 'register');
  await page.fill('#given_name', 'Niamh');
  await page.fill('#family_name', 'Calloway');
  await page.fill('#dob_day', '30');
  await page.fill('#dob_month', '2');
  await page.fill('#dob_year', '1990');
  await page.fill('#nhs_number', '999 000 0094');
  await page.fill('#communication_needs', 'Likes information in writing before meetings.');
  await page.check('#easy_read');
  await page.click('button:has-text("Register")');
  const errors = await text(page, '.nhsuk-error-summary');
  assert.match(errors, /last digit does not match the check/);
  assert.match(errors, /must be a real date/);
  await checkAccessibility(page, 'register-errors');
  assert.equal(await page.inputValue('#family_name'), 'Calloway');
  assert.equal(await page.inputValue('#communication_needs'), 'Likes information in writing before meetings.');
  assert.ok(await page.isChecked('#easy_read'));
  await page.click('.nhsuk-error-summary a:has-text("last digit")');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'nhs_number', 'the error links to its field');
  await page.fill('#nhs_number', '999 000 0093');
  await page.fill('#dob_day', '28');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Register")')]);
  assert.match(page.url(), /\/people\/[0-9a-f-]{36}$/);
  const record = await text(page);
  assert.match(record, /Niamh Calloway/);
  assert.match(record, /999 000 0093/);
  assert.match(record, /Key worker Priya Nair/);
  assert.match(record, /Prefers easy read Yes/);
  await checkAccessibility(page, 'case-page');
});

test('editing details keeps a history, and a case is closed with a reason and reopened', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-keyworker');
  await page.goto(`${BASE}/people?q=999+000+0093`);
  await page.click('#results a:has-text("Niamh Calloway")');
  const caseUrl = page.url();
  await page.click('text=Edit details');
  await checkAccessibility(page, 'edit');
  await page.fill('#preferred_name', 'Nee');
  await page.fill('#email', 'not an email');
  await page.click('button:has-text("Save details")');
  assert.match(await text(page, '.nhsuk-error-summary'), /email address in the right format/);
  assert.equal(await page.inputValue('#preferred_name'), 'Nee', 'typing survives a refused save');
  await page.fill('#email', 'nee@example.org');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save details")')]);
  assert.equal(page.url(), caseUrl);
  assert.match(await text(page, 'h1'), /Nee Calloway/);
  await page.click('text=See earlier versions');
  const history = await text(page);
  assert.match(history, /Version 2/);
  assert.match(history, /Preferred name: \(blank\) became Nee/);
  await checkAccessibility(page, 'history');

  await page.goto(caseUrl);
  await page.click('text=Close the case');
  await page.click('button:has-text("Close the case")');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter the reason for closing the case/);
  await checkAccessibility(page, 'close-error');
  await page.fill('#reason', 'Moved to a service nearer her family');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Close the case")')]);
  assert.match(await text(page), /Closed .*Moved to a service nearer her family/);
  await page.click('button:has-text("Reopen the case")');
  await page.waitForSelector('text=Close the case');
  assert.match(await text(page), /Open since/);
});

test('the caseload and a case work with the keyboard alone and fit a 360 px screen', async () => {
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(`${BASE}/sign-in`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Skip to main content');
  await page.focus('#username');
  await page.keyboard.type('demo-keyworker');
  await page.keyboard.press('Tab');
  await page.keyboard.type('carethread-demo');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.match(page.url(), /\/caseload$/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await checkAccessibility(page, 'caseload-360');
  // Tab to the first person in the list and open them.
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => /^\/people\/[0-9a-f-]{36}$/.test(document.activeElement?.getAttribute('href') ?? ''));
  }
  assert.ok(found, 'a person link is reachable by Tab');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.match(page.url(), /\/people\/[0-9a-f-]{36}$/);
  await checkAccessibility(page, 'case-page-360');
});

test('a person signs in to their own details and cannot reach staff pages', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-person');
  assert.match(page.url(), /\/me$/);
  const mine = await text(page);
  assert.match(mine, /Jordan Baptiste/);
  assert.match(mine, /Makaton/);
  await checkAccessibility(page, 'me');
  await page.goto(`${BASE}/caseload`);
  assert.match(await text(page, 'h1'), /You cannot see this page/);
  await checkAccessibility(page, 'forbidden');

  const supporter = await newPage(browser);
  await signIn(supporter, 'demo-supporter');
  assert.match(supporter.url(), /\/supporting$/);
  assert.match(await text(supporter, 'h1'), /People you support/);
  await supporter.goto(`${BASE}/caseload`);
  assert.match(await text(supporter, 'h1'), /You cannot see this page/, 'supporters never reach staff pages');
});

test('an administrator adds an account, sees errors in plain words, and reads the audit log', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-admin');
  assert.match(page.url(), /\/admin$/);
  await checkAccessibility(page, 'admin');
  await page.click('text=Add an account');
  await checkAccessibility(page, 'admin-add-account');
  await page.selectOption('#org_id', { label: 'Westmere Care Partnership' });
  await page.fill('#username', 'demo-keyworker');
  await page.fill('#display_name', 'Second Priya');
  await page.selectOption('#role', 'key-worker');
  await page.fill('#password', 'short');
  await page.click('button:has-text("Add account")');
  const problems = await text(page, '.nhsuk-error-summary');
  assert.match(problems, /at least 12 characters/);
  await checkAccessibility(page, 'admin-add-account-errors');
  await page.fill('#password', 'a long enough first password');
  await page.click('button:has-text("Add account")');
  assert.match(await text(page, '.nhsuk-error-summary'), /already taken/);
  await page.fill('#username', 'p.nair2');
  await page.fill('#password', 'a long enough first password');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add account")')]);
  assert.match(await text(page), /p\.nair2/);

  await page.click('nav >> text=Audit log');
  await page.fill('#person', '999 000 0093');
  await page.click('button:has-text("Filter")');
  const log = await text(page);
  assert.match(log, /registered the person and opened their case/);
  assert.match(log, /closed the case: Moved to a service nearer her family/);
  assert.match(log, /demo-keyworker/);
  await checkAccessibility(page, 'audit');
  await page.fill('#from', 'last tuesday');
  await page.click('button:has-text("Filter")');
  assert.match(await text(page, '.nhsuk-error-summary'), /Enter a date like/);
});

test('unknown addresses get a proper page not found', async () => {
  const page = await newPage(browser);
  const response = await page.goto(`${BASE}/nothing/here`);
  assert.equal(response.status(), 404);
  assert.match(await text(page, 'h1'), /Page not found/);
  await checkAccessibility(page, 'not-found');
});
