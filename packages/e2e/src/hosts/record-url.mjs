#!/usr/bin/env node
// A BROWSER that opens nothing: it appends the URL it is given to the file named by RECORD_URL_FILE,
// for a test to open in a browser it drives itself (and report what went wrong there).
import { appendFileSync } from 'node:fs';

appendFileSync(process.env.RECORD_URL_FILE ?? 'opened-urls.txt', `${process.argv[2] ?? ''}\n`);
