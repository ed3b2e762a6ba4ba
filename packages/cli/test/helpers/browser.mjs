#!/usr/bin/env node
// The BROWSER the CLI tests hand to conduit-mcp. Modes (env TEST_BROWSER_MODE):
//   follow       request the sign-in URL and follow its redirects (a user who approves at once)
//   ignore       do nothing (a user who never finishes)
//   tamper-state follow the authorization redirect by hand, but bring back a different state
// TEST_BROWSER_LOG: a file that gets one line per invocation. TEST_BROWSER_GATE: wait until this file exists.
import { appendFileSync, existsSync } from 'node:fs';

const url = process.argv[2];
const mode = process.env.TEST_BROWSER_MODE ?? 'follow';
if (process.env.TEST_BROWSER_LOG) appendFileSync(process.env.TEST_BROWSER_LOG, `${process.pid}\n`);
const gate = process.env.TEST_BROWSER_GATE;
while (gate && !existsSync(gate)) await new Promise((resolve) => setTimeout(resolve, 50));

if (mode === 'follow') {
  await (await fetch(url)).text();
} else if (mode === 'tamper-state') {
  const response = await fetch(url, { redirect: 'manual' });
  const callback = new URL(response.headers.get('location'));
  callback.searchParams.set('state', 'not-the-state-that-was-sent');
  await (await fetch(callback)).text();
}
