// Browser test of two-factor sign-in: a member of staff sets up an authenticator app from the
// QR code, then signs in with their password and the app's code. The code is worked out here
// the way an app does (RFC 6238: HMAC-SHA1 over the 30-second step).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { BASE, PASSWORD, launch, newPage, signIn, checkAccessibility, text } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function base32(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/\s+/g, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret, offsetSeconds = 0) {
  const step = Math.floor((Date.now() / 1000 + offsetSeconds) / 30);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

async function submit(page, label) {
  await Promise.all([page.waitForNavigation(), page.click(`button:has-text("${label}")`)]);
}

test('a member of staff sets up two-factor sign-in from a QR code and then signs in with a code', async () => {
  const page = await newPage(browser, { width: 390, height: 844 });
  await signIn(page, 'demo-practice-admin');
  await Promise.all([page.waitForNavigation(), page.click('.nhsuk-header__navigation a:has-text("Sign-in security")')]);
  assert.ok(await page.locator('.ct-qr svg').isVisible(), 'a QR code to scan');
  await checkAccessibility(page, 'two-factor-setup');
  const secret = (await page.locator('#secret').innerText()).trim();
  await page.fill('#code', '000000');
  await submit(page, 'Turn on two-factor sign-in');
  assert.match(await text(page, '.nhsuk-error-summary'), /That code is not right/);
  assert.equal((await page.locator('#secret').innerText()).trim(), secret, 'the same key after a mistake');
  const first = totp(secret);
  await page.fill('#code', first);
  await submit(page, 'Turn on two-factor sign-in');
  assert.match(await text(page), /Two-factor sign-in is on/);
  await checkAccessibility(page, 'two-factor-on');
  await submit(page, 'Sign out');

  await page.goto(`${BASE}/sign-in`);
  await page.fill('#username', 'demo-practice-admin');
  await page.fill('#password', PASSWORD);
  await submit(page, 'Sign in');
  assert.match(page.url(), /\/sign-in\/code$/);
  await checkAccessibility(page, 'two-factor-code');
  await page.fill('#code', first);
  await submit(page, 'Continue');
  assert.match(await text(page, '.nhsuk-error-summary'), /That code is not right, or was used already/);
  await page.fill('#code', totp(secret, 30));
  await submit(page, 'Continue');
  assert.match(page.url(), /\/caseload$/, 'signed in');
  await page.close();
});
