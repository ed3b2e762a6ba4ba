import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..', '..');
const serverDir = join(packageDir, '..', 'server');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the package in `dir` when dist/cli.js is missing or older than its sources. */
function buildIfStale(dir: string): void {
  let built = 0;
  try {
    built = statSync(join(dir, 'dist', 'cli.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newestMtime(join(dir, 'src'))) return;
  execFileSync(join(packageDir, '..', '..', 'node_modules', '.bin', 'tsup'), { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * vitest globalSetup: the tests spawn dist/cli.js, and some start the real server
 * (packages/server/dist/cli.js), so build either when it is missing or older than its sources. A
 * fresh build is left alone, because rebuilding (tsup cleans dist/) would pull the bin out from
 * under other test runs using it.
 */
export default function setup(): void {
  buildIfStale(packageDir);
  buildIfStale(serverDir);
}
