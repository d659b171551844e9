// Browser tests of access beyond the team: a supporter invited with a code and seeing only what
// the person shares, before and after the consent is withdrawn; and a clinician from another
// team breaking the glass, which the manager reviews and the person sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, signIn, checkAccessibility, text } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const JORDAN = '999 000 0018';

async function submit(page, label) {
  await Promise.all([page.waitForNavigation(), page.click(`button:has-text("${label}")`)]);
}

async function openJordan(page) {
  await page.goto(`${BASE}/people?q=${encodeURIComponent(JORDAN)}`);
  await Promise.all([page.waitForNavigation(), page.click('#results a:has-text("Baptiste")')]);
  return page.url();
}

test('a supporter sees what Jordan shares, invites work once, and withdrawing consent closes it at once', async () => {
  // Lorna, Jordan's mum, signs in: Jordan shares his crisis plan and "about me" with her.
  const lorna = await newPage(browser, { width: 390, height: 844 });
  await signIn(lorna, 'demo-supporter');
  assert.match(lorna.url(), /\/supporting$/);
  assert.match(await text(lorna), /Jordy Baptiste[\s\S]*Escalation \(crisis\) plan; Theme: About me/);
  await checkAccessibility(lorna, 'supporter-home');
  await Promise.all([lorna.waitForNavigation(), lorna.click('a:has-text("Jordy Baptiste")')]);
  const shared = lorna.url();
  const view = await text(lorna);
  assert.match(view, /What Jordy Baptiste shares with you/);
  assert.match(view, /About me/);
  assert.doesNotMatch(view, /Keeping safe and well|Problem toolkits/, 'only the shared sections');
  await checkAccessibility(lorna, 'supporter-shared');
  const caseUrl = shared.replace(/\/shared$/, '');
  const refused = await lorna.goto(caseUrl);
  assert.equal(refused.status(), 404, 'the whole record is not shared');

  // The key worker adds Jordan's brother to the circle and invites him.
  const kw = await newPage(browser);
  await signIn(kw, 'demo-keyworker');
  const jordan = await openJordan(kw);
  await kw.goto(`${jordan}/circle/new`);
  await kw.fill('#name', 'Marcus Baptiste');
  await kw.fill('#relationship', 'Brother');
  await kw.check('#source-personal-network');
  await kw.check('#involvement-regular');
  await submit(kw, 'Save');
  await kw.goto(`${jordan}/consents`);
  await checkAccessibility(kw, 'consents-invite');
  await submit(kw, 'Invite Marcus Baptiste (Brother) to sign in');
  const code = (await kw.locator('#invite-code').innerText()).trim();
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await checkAccessibility(kw, 'invited');

  // Marcus accepts it from his own browser; a second use is refused.
  const marcus = await newPage(browser, { width: 390, height: 844 });
  await marcus.goto(`${BASE}/invite`);
  await marcus.fill('#code', code.toLowerCase());
  await marcus.fill('#display_name', 'Marcus Baptiste');
  await marcus.fill('#username', 'marcus.baptiste');
  await marcus.fill('#password', 'short');
  await marcus.fill('#confirm', 'short');
  await submit(marcus, 'Create my account');
  assert.match(await text(marcus, '.nhsuk-error-summary'), /at least 12 characters/);
  assert.match(await text(marcus), /This invitation is for Marcus Baptiste, in Jordy's circle of support/);
  assert.equal(await marcus.inputValue('#username'), 'marcus.baptiste', 'typing is kept');
  await checkAccessibility(marcus, 'invite-errors');
  await marcus.fill('#password', 'three long words');
  await marcus.fill('#confirm', 'three long words');
  await submit(marcus, 'Create my account');
  assert.match(marcus.url(), /\/sign-in\?invited=1$/);
  assert.match(await text(marcus), /Your account is ready/);
  await marcus.fill('#username', 'marcus.baptiste');
  await marcus.fill('#password', 'three long words');
  await Promise.all([marcus.waitForNavigation(), marcus.click('button:has-text("Sign in")')]);
  assert.match(await text(marcus), /No one is sharing their record with you/, 'an account alone shares nothing');
  await checkAccessibility(marcus, 'supporter-home-empty');
  const again = await newPage(browser);
  await again.goto(`${BASE}/invite?code=${encodeURIComponent(code)}`);
  await again.fill('#display_name', 'Someone Else');
  await again.fill('#username', 'someone.else');
  await again.fill('#password', 'three long words');
  await again.fill('#confirm', 'three long words');
  await submit(again, 'Create my account');
  assert.match(await text(again, '.nhsuk-error-summary'), /This code does not work/);

  // Jordan withdraws the consent for his mum from his own sign-in: her access ends at once.
  const jordy = await newPage(browser, { width: 390, height: 844 });
  await signIn(jordy, 'demo-person');
  await jordy.goto(`${jordan}/consents`);
  const card = jordy.locator('.nhsuk-card', { hasText: 'Lorna Baptiste (Mum)' });
  await card.locator('input[name="reason"]').fill('I want to tell Mum myself for now');
  await Promise.all([jordy.waitForNavigation(), card.locator('button:has-text("Withdraw this consent")').click()]);
  assert.match(await jordy.locator('.nhsuk-card', { hasText: 'Lorna Baptiste (Mum)' }).innerText(), /Withdrawn/);
  await checkAccessibility(jordy, 'person-consents');
  const gone = await lorna.goto(shared);
  assert.equal(gone.status(), 404, 'withdrawn consent shares nothing');
  await lorna.goto(`${BASE}/supporting`);
  assert.match(await text(lorna), /No one is sharing their record with you/);
  for (const p of [lorna, kw, marcus, again, jordy]) await p.close();
});

test('a clinician from another team breaks the glass with a reason; the manager reviews it and Jordan sees it', async () => {
  const dr = await newPage(browser);
  await signIn(dr, 'demo-clinician');
  await dr.goto(`${BASE}/people?q=${encodeURIComponent(JORDAN)}`);
  assert.match(await text(dr, '#results'), /No one found/, 'search shows only people one works with');
  await dr.click('summary:has-text("Need someone\'s record in an emergency?")');
  await dr.fill('#nhs_number', JORDAN);
  await submit(dr, 'Continue');
  assert.match(await text(dr), /Only in an emergency/);
  await checkAccessibility(dr, 'break-glass-ask');
  await submit(dr, 'Open the record with emergency access');
  assert.match(await text(dr, '.nhsuk-error-summary'), /Say why you need emergency access/);
  await checkAccessibility(dr, 'break-glass-error');
  const reason = 'Jordy brought to A&E at night; need his crisis plan';
  await dr.fill('#reason', reason);
  await submit(dr, 'Open the record with emergency access');
  assert.match(await text(dr, 'body'), /You are using emergency access to this record until/);
  assert.match(await text(dr, 'h1'), /Baptiste/);
  await checkAccessibility(dr, 'break-glass-record');
  await Promise.all([dr.waitForNavigation(), dr.click('.ct-record-nav a:has-text("Crisis plan")')]);
  assert.match(await text(dr, 'body'), /You are using emergency access/, 'on every page of the record');
  await submit(dr, 'End emergency access now');
  assert.match(dr.url(), /\/caseload\?emergency=ended$/);

  const manager = await newPage(browser);
  await signIn(manager, 'demo-manager');
  await Promise.all([manager.waitForNavigation(), manager.click('.nhsuk-header__navigation a:has-text("Emergency access")')]);
  const card = manager.locator('.nhsuk-card', { hasText: reason });
  assert.match(await card.innerText(), /Dr Tomasz Wren opened the record of Jordy Baptiste/);
  await checkAccessibility(manager, 'break-glass-queue');
  await card.locator('input[value="concern"]').check();
  await Promise.all([manager.waitForNavigation(), card.locator('button:has-text("Record review")').click()]);
  assert.match(await text(manager, '.nhsuk-card .nhsuk-error-message'), /Say what the concern is/);
  const again = manager.locator('.nhsuk-card', { hasText: reason });
  await again.locator('input[value="justified"]').check();
  await Promise.all([manager.waitForNavigation(), again.locator('button:has-text("Record review")').click()]);
  assert.match(await manager.locator('.nhsuk-card', { hasText: reason }).innerText(), /Justified[\s\S]*reviewed by Grace Adeyemi/);

  const jordy = await newPage(browser, { width: 390, height: 844 });
  await signIn(jordy, 'demo-person');
  await Promise.all([jordy.waitForNavigation(), jordy.click('a:has-text("Who has looked at my record")')]);
  const looks = await text(jordy);
  assert.match(looks, /Dr Tomasz Wren[\s\S]*Emergency access[\s\S]*Jordy brought to A&E at night/);
  await checkAccessibility(jordy, 'looks-emergency');
  for (const p of [dr, manager, jordy]) await p.close();
});

