// The real `conduit-mcp-server` as a process, for tests of what the CLI says about a server that
// runs, was stopped, or is addressed by a wrong URL. The server package is built by `pnpm build`
// (test/helpers/build.ts builds it when it is missing or stale).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { freePort } from '../../../../scripts/free-port.mjs';
import { join } from 'node:path';
import { tempDir } from './cli.js';

export const SERVER_CLI = join(import.meta.dirname, '..', '..', '..', 'server', 'dist', 'cli.js');

export interface ServerProcess {
  child: ChildProcess;
  dataDir: string;
  port: number;
  /** e.g. http://127.0.0.1:40123 */
  origin: string;
  mcpUrl: string;
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir (after stop). */
  restart(): Promise<void>;
  /** Runs an admin command (`tokens create …`) on the server's database; returns its stdout and stderr. */
  admin(args: string[]): string;
  cleanup(): void;
}

/**
 * Starts `conduit-mcp-server serve` on a free port with an empty SQLite database, after creating
 * the workspace `acme` with the admin commands (no demo data: it starts faster).
 */
export async function startServer(options: { args?: string[] } = {}): Promise<ServerProcess> {
  const dataDir = tempDir('conduit-cli-server-');
  const admin = (args: string[]) => {
    const run = spawnSync(process.execPath, [SERVER_CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8', env: serverEnv() });
    if (run.status !== 0) throw new Error(`conduit-mcp-server ${args.join(' ')} exited with ${run.status}:\n${run.stdout}${run.stderr}`);
    return `${run.stdout}${run.stderr}`;
  };
  admin(['workspaces', 'create', '--slug', 'acme', '--name', 'Acme']);
  const port = await freePort();
  const state: { child: ChildProcess; output: string } = { child: undefined as unknown as ChildProcess, output: '' };
  const launch = async () => {
    // Starting it again while it runs would orphan the running process (the new one cannot listen).
    if (state.child && state.child.exitCode === null && state.child.signalCode === null) return;
    const child = spawn(process.execPath, [SERVER_CLI, 'serve', '--data-dir', dataDir, '--port', String(port), ...(options.args ?? [])], {
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    state.child = child;
    // A test run that ends early (a failure, a time-out) must not leave the server behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${state.output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        state.output += chunk.toString();
        if (/Conduit MCP server \S+/.test(state.output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before starting:\n${state.output}`));
      });
    });
  };
  await launch();
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const child = state.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    get child() {
      return state.child;
    },
    dataDir,
    port,
    origin,
    mcpUrl: `${origin}/v1/mcp`,
    output: () => state.output,
    stop,
    restart: launch,
    admin,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Creates an API token on the server's database and returns it. */
export function createToken(server: ServerProcess, args: string[] = []): { id: string; token: string } {
  const out = server.admin(['tokens', 'create', '--workspace', 'acme', ...args]);
  const id = /\b(tok_\w+)/.exec(out)?.[1];
  const token = /\b(capi_\w+)/.exec(out)?.[1];
  if (!id || !token) throw new Error(`unexpected tokens create output: ${out}`);
  return { id, token };
}

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONDUIT_') && key !== 'DATABASE_URL' && key !== 'REDIS_URL') env[key] = value;
  return { ...env, LOG_LEVEL: 'warn' };
}
