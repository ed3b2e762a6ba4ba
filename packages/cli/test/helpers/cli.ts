import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const packageDir = join(import.meta.dirname, '..', '..');
export const CLI = join(packageDir, 'dist', 'cli.js');
export const TEST_BROWSER = join(import.meta.dirname, 'browser.mjs');

const tempDirs: string[] = [];

/** A fresh directory under the system temp dir, removed when the test file that made it is done. */
export function tempDir(prefix = 'conduit-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

// Registered while the test file imports this module, so it is the file's first afterAll and (hooks
// run as a stack) its last: the servers and CLIs a file stops in its own afterAll are gone by then.
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

/** The environment for a CLI process: a private file store, the test browser, no inherited CONDUIT_* settings. */
export function cliEnv(configDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // npm_command=exec (vitest started through npx) would make messages say `npx conduit-mcp …`;
  // NODE_PATH (set by pnpm's bin shims) would let require() find packages a user's install lacks.
  const dropped = new Set(['BROWSER', 'npm_command', 'NODE_PATH']);
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONDUIT_') && !dropped.has(key)) env[key] = value;
  return {
    ...env,
    CONDUIT_CONFIG_DIR: configDir,
    CONDUIT_CREDENTIAL_STORE: 'file',
    BROWSER: `${process.execPath} ${TEST_BROWSER}`,
    TEST_BROWSER_MODE: 'follow',
    ...extra,
  };
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout+stderr match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  child.stdout?.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), notify()));
  child.stderr?.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), notify()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout + stderr)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${stdout}${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

/** Runs the CLI to completion; `input` is written to stdin (then closed). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnCli(args, env);
  if (input !== undefined) run.child.stdin?.end(input);
  else run.child.stdin?.end();
  return run.done;
}

/**
 * A copy of the package installed in another directory, as npm leaves it: dist copied, the
 * dependencies linked — except `omit`, as when npm left an optional dependency out
 * (`--omit=optional`), and `withoutBinary`, copied instead of linked so that the per-platform
 * package holding its native binary cannot be found, as where npm installs none for the
 * platform. Returns the path of its bin.
 */
export function copyInstall(options: { version?: string; omit?: string[]; withoutBinary?: string[] } = {}): string {
  const install = tempDir('conduit-install-');
  cpSync(join(CLI, '..'), join(install, 'dist'), { recursive: true });
  writeFileSync(join(install, 'package.json'), JSON.stringify({ name: 'conduit-mcp', version: options.version ?? '0.0.0-test', type: 'module' }));
  const modules = join(packageDir, 'node_modules');
  const names = readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => (name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name]));
  for (const name of names) {
    if (options.omit?.includes(name)) continue;
    const source = realpathSync(join(modules, name));
    const target = join(install, 'node_modules', name);
    mkdirSync(join(target, '..'), { recursive: true });
    if (options.withoutBinary?.includes(name)) cpSync(source, target, { recursive: true });
    else symlinkSync(source, target);
  }
  return join(install, 'dist', 'cli.js');
}

/** Runs a bin other than the built one (see copyInstall) to completion. */
export function runBin(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
