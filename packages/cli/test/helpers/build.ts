import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..', '..');

/** vitest globalSetup: build dist/ so the spawned `conduit-mcp` is the code under test. */
export default function setup(): void {
  execFileSync(join(packageDir, '..', '..', 'node_modules', '.bin', 'tsup'), { cwd: packageDir, stdio: ['ignore', 'ignore', 'inherit'] });
}
