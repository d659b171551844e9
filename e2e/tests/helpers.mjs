// Shared set-up for the browser tests: Debian's Chromium driven by playwright-core, with an
// axe-core accessibility check. The server is started by scripts/test (CARETHREAD_E2E_BASE).
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

export const BASE = process.env.CARETHREAD_E2E_BASE ?? 'http://127.0.0.1:8080';
export const PASSWORD = 'carethread-demo';
// Screenshots and other artifacts a run leaves to look at afterwards.
export const SHOTS = process.env.CARETHREAD_E2E_SHOTS ?? new URL('../artifacts/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A fresh browser context (its own cookies) and page, at a desktop or a phone width.
export async function newPage(browser, { width = 1200, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    // A page that is itself a 403 or 404 is logged as a failed load; that is the page under test.
    const ownStatus = m.text().startsWith('Failed to load resource') && m.location().url === page.url();
    if (m.type() === 'error' && !ownStatus) problems.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.consoleProblems = problems;
  return page;
}

export async function signIn(page, username) {
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign in")')]);
  assert.ok(!page.url().includes('/sign-in'), `signing in as ${username} failed: ${page.url()}`);
}

/// Fails on any serious or critical accessibility violation, listing them.
export async function checkAccessibility(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `accessibility problems on ${name}`,
  );
  assert.deepEqual(page.consoleProblems, [], `browser console errors on ${name}`);
}

export async function text(page, selector = 'main') {
  return (await page.locator(selector).innerText()).replace(/\s+/g, ' ');
}
