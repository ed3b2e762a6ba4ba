import type { SeedProgress } from '../demo/seed.js';

/** Without a terminal (a log file, CI), a line this often, and one when each phase completes. */
export const PROGRESS_LINE_INTERVAL_MS = 5_000;
const BAR_WIDTH = 24;

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/**
 * Shows a long demo seed's progress: on a terminal one line per phase that redraws itself with a
 * bar, elsewhere a plain line every few seconds (a redrawn line would fill a log with carriage
 * returns). Phases are one kind of entity in one workspace; rows count every table.
 */
export function seedProgressReporter(output: ProgressOutput, clock: () => number = () => performance.now()): (progress: SeedProgress) => void {
  const started = clock();
  let lastLine = -Infinity;
  return (p) => {
    const at = clock();
    const share = p.total === 0 ? 1 : p.done / p.total;
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    const what = `${p.workspace} ${p.phase}`;
    const detail = `${count(p.done)}/${count(p.total)} · ${count(p.rows)} rows · ${duration(at - started)}`;
    const finished = p.done >= p.total;
    if (output.isTTY) {
      const filled = Math.round(share * BAR_WIDTH);
      const line = `${what.padEnd(30)} ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${percent} ${detail}`;
      // Clear the line first: the previous draw may have been longer.
      output.write(`\r\x1b[2K${line.slice(0, Math.max(20, (output.columns ?? 120) - 1))}${finished ? '\n' : ''}`);
      return;
    }
    if (!finished && at - lastLine < PROGRESS_LINE_INTERVAL_MS) return;
    lastLine = at;
    output.write(`seed: ${what} ${percent.trim()} (${detail})\n`);
  };
}
