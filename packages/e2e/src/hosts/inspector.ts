import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The MCP Inspector (2.x) needs Node.js ≥ 22.19. Under an older Node (the suite also runs on 20),
 * it runs on a Node 22 from scripts/with-node.sh, fetched from the npm registry once and cached.
 */

const MINIMUM: readonly [number, number] = [22, 19];
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** `npx @modelcontextprotocol/inspector`: the package's launcher (`--cli` selects the CLI). */
export const INSPECTOR_LAUNCHER = join(dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json')), 'clients', 'launcher', 'build', 'index.js');

function newEnough(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1]);
}

let cached: Promise<string> | undefined;

/** A node binary the Inspector runs on: this one when new enough, else Node 22 via with-node.sh. */
export function inspectorNode(): Promise<string> {
  cached ??= (async () => {
    if (newEnough(process.versions.node)) return process.execPath;
    const run = promisify(execFile);
    try {
      const { stdout } = await run('bash', [join(ROOT, 'scripts', 'with-node.sh'), '--no-native', '22', 'node', '-p', 'process.version + " " + process.execPath'], {
        cwd: ROOT,
        timeout: 300_000,
      });
      const [version = '', path = ''] = stdout.trim().split(' ');
      if (!newEnough(version)) throw new Error(`scripts/with-node.sh 22 gave Node ${version}; the Inspector needs ${MINIMUM.join('.')} or newer`);
      return path;
    } catch (error) {
      throw new Error(`the MCP Inspector needs Node.js ≥ ${MINIMUM.join('.')} and this is ${process.version}; fetching Node 22 with scripts/with-node.sh failed: ${(error as Error).message}`);
    }
  })();
  return cached;
}

/** What the Inspector gets besides PATH and HOME: no browser of its own, no keychain, no colour. */
export const INSPECTOR_ENV: Record<string, string> = {
  // OAuth tokens in memory only: nothing written to the machine's keychain or to disk.
  MCP_INSPECTOR_SECRET_STORE: 'memory',
};
