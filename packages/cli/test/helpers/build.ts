import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * vitest globalSetup: the tests spawn dist/cli.js, so build it when it is missing or older than the
 * sources. A fresh build is left alone, because rebuilding (tsup cleans dist/) would pull the bin out
 * from under other test runs using it.
 */
export default function setup(): void {
  let built = 0;
  try {
    built = statSync(join(packageDir, 'dist', 'cli.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newestMtime(join(packageDir, 'src'))) return;
  execFileSync(join(packageDir, '..', '..', 'node_modules', '.bin', 'tsup'), { cwd: packageDir, stdio: ['ignore', 'ignore', 'inherit'] });
}
