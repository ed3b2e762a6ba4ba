#!/usr/bin/env node
// A BROWSER for tests: requests the sign-in URL and follows its redirects, as a browser whose user
// approves at once would. Optional FOLLOW_URL_LOG names a file that gets one line per invocation.
import { appendFileSync } from 'node:fs';

const url = process.argv[2];
if (process.env.FOLLOW_URL_LOG) appendFileSync(process.env.FOLLOW_URL_LOG, `${process.pid}\n`);
const response = await fetch(url, { redirect: 'follow' });
await response.text();
