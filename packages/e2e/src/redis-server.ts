import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../scripts/free-port.mjs';

/**
 * A throwaway redis-server for a test: a free loopback port, a password, nothing persisted
 * (`--save '' --appendonly no`), and its directory removed on dispose. It can be stopped and
 * started again on the same port, to test what the server does while Redis is down.
 */

const run = promisify(execFile);

export interface RedisServer {
  /** redis://:<password>@127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly password: string;
  /** Runs one command with redis-cli (installed with redis-server) and returns its raw output. */
  cli(...args: string[]): Promise<string>;
  /** SIGTERM and wait for exit; start() brings it back, empty, on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  dispose(): Promise<void>;
}

export async function startRedisServer(bin: string, password = 'e2e-redis-pw-93c4'): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'conduit-redis-'));
  let child: ChildProcess | undefined;
  // A test process that ends without its afterAll (a crash, an interrupt) still stops the server.
  const kill = () => child?.kill('SIGKILL');
  process.once('exit', kill);

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password, '--dir', dir];
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 20 s:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise((resolve) => {
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
    });
    if (proc === child) child = undefined;
  }

  await start();
  return {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    password,
    async cli(...args) {
      const { stdout } = await run(join(bin, '..', 'redis-cli'), ['-h', '127.0.0.1', '-p', String(port), ...args], { env: { ...process.env, REDISCLI_AUTH: password } });
      return stdout;
    },
    start,
    stop,
    async dispose() {
      await stop();
      process.removeListener('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
