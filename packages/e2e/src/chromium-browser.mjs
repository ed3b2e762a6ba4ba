#!/usr/bin/env node
// A BROWSER for `conduit-mcp login` in end-to-end tests: headless Chromium (playwright-core) opens the
// sign-in URL, signs in as CONDUIT_E2E_EMAIL / CONDUIT_E2E_PASSWORD, grants the workspaces named in
// CONDUIT_E2E_WORKSPACES (comma-separated) on the consent page (unticking "Send messages and change
// data" when CONDUIT_E2E_WRITE=off), and waits for the CLI's loopback page.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

const url = process.argv[2];
const profile = mkdtempSync(join(tmpdir(), 'conduit-chromium-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: ARGS });
try {
  const page = await context.newPage();
  await page.goto(url);
  await page.fill('input[name=email]', process.env.CONDUIT_E2E_EMAIL ?? '');
  await page.fill('input[name=password]', process.env.CONDUIT_E2E_PASSWORD ?? '');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  for (const slug of (process.env.CONDUIT_E2E_WORKSPACES ?? '').split(',').filter(Boolean)) {
    await page.locator('label.option', { hasText: slug }).locator('input[name=workspace]').check();
  }
  if (process.env.CONDUIT_E2E_WRITE === 'off') await page.locator('input[name=write]').uncheck();
  const decision = process.env.CONDUIT_E2E_DECISION ?? 'allow';
  await Promise.all([page.waitForNavigation(), page.click(`button[value=${decision}]`)]);
  process.stdout.write(`${await page.locator('body').innerText()}\n`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
