import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/setting.js';
import { limitHeapGrowth } from '../src/commands/heap-growth.js';
import { buildSource } from './build-source.js';

/**
 * A process that sets its heap growth with limitHeapGrowth, keeps about 50 MB alive, and has V8
 * run a full garbage collection, after which V8 computes the heap's next limit from the growth:
 * the limit it prints (--trace-gc-verbose) shows the growth it used. (Below about 8 MB kept, V8's
 * minimum step decides the limit instead.) A process of its own, as `serve` is: V8's flags are
 * the whole process's. What is kept hangs off a global: held only by a local that nothing reads
 * after the loop, it is garbage to V8, and Node 24 collected it in that collection (old size 4 MB,
 * in one CI run of three).
 */
const SCRIPT = `
const { limitHeapGrowth } = await import(process.argv[1]);
limitHeapGrowth(Number(process.argv[2]), []);
const kept = (globalThis.kept = []);
for (let i = 0; i < 600000; i++) kept.push({ i, text: 'kept ' + i });
globalThis.gc();
`;

let moduleUrl: string;

beforeAll(async () => {
  // The module as `pnpm build` compiles it, for a child process that runs plain JavaScript.
  moduleUrl = await buildSource('commands/heap-growth.ts');
});

/**
 * The old generation's size and limit, in KB, after the script's collection, with the growth at
 * `percent`: the collection that found the most alive (any other ran while the 50 MB were being
 * made, or at exit, after them).
 */
function limitAfterCollection(percent: number): { oldKb: number; limitKb: number } {
  const child = spawnSync(process.execPath, ['--trace-gc-verbose', '--expose-gc', '--input-type=module', '-e', SCRIPT, moduleUrl, String(percent)], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  const limits = [...child.stdout.matchAll(/\[HeapController\] Limit: old size: (\d+) KB, new limit: (\d+) KB/g)].map((m) => ({ oldKb: Number(m[1]), limitKb: Number(m[2]) }));
  expect(limits, 'V8 traced no heap limit').not.toEqual([]);
  return limits.reduce((most, next) => (next.oldKb > most.oldKb ? next : most));
}

describe('V8 heap growth (serve --heap-growth-percent)', () => {
  it('sets how far the heap may grow after a collection; 0 leaves it to V8, which lets it grow more', () => {
    // The limit over what was kept, as the amount kept varies by a few MB from run to run.
    const growth = (percent: number) => {
      const { oldKb, limitKb } = limitAfterCollection(percent);
      expect(oldKb).toBeGreaterThan(20 * 1024);
      return limitKb / oldKb;
    };
    const v8Rule = growth(0);
    const tenPercent = growth(10);
    const double = growth(100);
    // Apart by a margin: V8's own rule lets it grow about 4×, 100 % about 2.4× (the limit adds the young generation's size), 10 % about 1.6×.
    expect(tenPercent).toBeLessThan(double * 0.8);
    expect(double).toBeLessThan(v8Rule * 0.8);
  });

  it('refuses to override the same flag given to node, in either spelling', () => {
    for (const execArgv of [['--heap-growing-percent=50'], ['--heap_growing_percent', '50'], ['--inspect', '--heap-growing-percent']]) {
      expect(() => limitHeapGrowth(20, execArgv)).toThrow(ConfigError);
      expect(() => limitHeapGrowth(20, execArgv)).toThrow(/node was started with --heap-growing-percent.*give the value to serve instead/);
    }
    expect(() => limitHeapGrowth(0, ['--max-semi-space-size=8', '--heap-growing'])).not.toThrow();
  });
});
