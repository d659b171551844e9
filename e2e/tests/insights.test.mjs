// Browser test of the organisation's figures: a commissioner lands on them, sees numbers only,
// with small numbers shown as "fewer than 5", and can choose a period and a team.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, signIn, checkAccessibility, text } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a commissioner sees the figures, small numbers suppressed and no names', async () => {
  const page = await newPage(browser);
  await signIn(page, 'demo-commissioner');
  assert.match(page.url(), /\/insights$/);
  const figures = await text(page);
  assert.match(figures, /Democratic outcomes of reviews signed off in the period/);
  assert.match(figures, /fewer than 5/);
  assert.doesNotMatch(figures, /Karimi|Baptiste|999 000/);
  await page.selectOption('#period', '3m');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Show")')]);
  assert.match(page.url(), /period=3m/);
  await checkAccessibility(page, 'insights');
  await page.close();
});
