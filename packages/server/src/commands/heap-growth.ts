import { setFlagsFromString } from 'node:v8';
import { ConfigError } from '../config/setting.js';

/*
 * How far V8 lets a heap grow past what its last full garbage collection kept before it collects
 * again. V8 picks that factor itself, between 1.1 and 4, from how fast the program allocates
 * against how fast it collects. A server answering thousands of small requests a second
 * allocates fast, so its heaps end up several times larger than what they keep: under the mixed
 * load at a million messages, the main thread kept 32 MB and its heap reached 125 MB. `serve`
 * fixes the factor with V8's own flag instead (see docs/self-hosting.md, Memory, for the figures).
 */

/** V8's flag as node takes it on its command line, in either spelling. */
const NODE_FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Sets V8's heap growth for the whole process: the main thread's heap from its next collection
 * on, and every worker thread's (the read pool's) from its start. `0` leaves V8's own rule. It
 * refuses to override the same flag given to node itself, since one of the two would be ignored.
 */
export function limitHeapGrowth(percent: number, execArgv: readonly string[]): void {
  if (execArgv.some((arg) => NODE_FLAG.test(arg))) {
    throw new ConfigError([
      'node was started with --heap-growing-percent, which --heap-growth-percent (CONDUIT_HEAP_GROWTH_PERCENT) would override: give the value to serve instead',
    ]);
  }
  // V8 reads the flag each time it computes a heap's next limit, so setting it now takes effect.
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
