import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built server CLI, as `npx conduit-mcp-server` would run it, through the workspace link
 * (the package's exports do not expose package.json to require.resolve).
 */
export const SERVER_CLI = fileURLToPath(new URL('../node_modules/@conduit-mcp/server/dist/cli.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  dataDir: string;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  mcpUrl: string;
  /** The read_write demo token printed by `serve --demo` on first start. */
  token: string | undefined;
  demoUser: { email: string; password: string } | undefined;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<number | null>;
  /** Removes the data dir (after stop). */
  cleanup(): void;
}

export interface StartOptions {
  demo?: boolean;
  dataDir?: string;
  port?: number;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the listening banner. */
  timeoutMs?: number;
}

/** Starts `conduit-mcp-server serve` as a real process and waits until it prints its URL. */
export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'conduit-e2e-'));
  // Tests fire bursts far above the product's default 120 requests/min; the limiter still runs.
  // A test about rate limits passes its own --rate-limit.
  const rateLimit = options.args?.includes('--rate-limit') ? [] : ['--rate-limit', '1000000'];
  // --data-dir and --database name two databases: serve refuses both.
  const database = options.args?.includes('--database') ? [] : ['--data-dir', dataDir];
  const args = [SERVER_CLI, 'serve', ...database, '--port', String(options.port ?? 0), ...rateLimit, ...(options.demo ? ['--demo'] : []), ...(options.args ?? [])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const mcpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A test whose set-up gave up must not leave the process running (its afterAll has no handle on it).
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${options.timeoutMs ?? 60_000} ms:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const check = () => {
      const match = /Conduit MCP server (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${output}`));
    });
  });
  const token = /API token \(read_write, shown once\): (capi_\S+)/.exec(output)?.[1];
  const login = /Sign in \(OAuth consent page\): (\S+) \/ (\S+)/.exec(output);
  const waitExit = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    child,
    dataDir,
    url: new URL(mcpUrl).origin,
    mcpUrl,
    token,
    demoUser: login?.[1] && login[2] ? { email: login[1], password: login[2] } : undefined,
    output: () => output,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
