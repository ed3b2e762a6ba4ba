import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../scripts/free-port.mjs';
import { SERVER_CLI } from './server-process.js';

/**
 * A throwaway PostgreSQL cluster for a test, as packages/server/scripts/test-postgres.sh starts
 * one: initdb into a temporary directory, a server on a free loopback port with durability off,
 * and everything removed on stop. initdb refuses to run as root, so as root the cluster runs as
 * the `postgres` user (which the Debian package creates).
 */

const run = promisify(execFile);

/** The slice of pg's Pool a test needs (pg is the server's dependency, loaded from there). */
export interface PgPool {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  end(): Promise<void>;
}

const requireFromServer = createRequire(join(SERVER_CLI, '..', '..', 'package.json'));
const pg = requireFromServer('pg') as { Pool: new (options: { connectionString: string; max: number }) => PgPool };

export interface PostgresCluster {
  /** e.g. "15.14" */
  version: string;
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url(database: string): string;
  /** Creates an empty UTF-8 database (owned by the superuser) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** A small pool on one database, for a test to look at what the servers wrote. */
  pool(database: string): PgPool;
  /** Stops the server at once (`-m immediate`) and removes its files. */
  stop(): Promise<void>;
  /**
   * Stops the server as an operator's restart does (`-m fast`: every session is terminated) and
   * starts it again on the same port after `downMs`. Pools from pool() must be ended first.
   */
  restart(downMs: number): Promise<void>;
}

export async function startPostgresCluster(bin: string): Promise<PostgresCluster> {
  const root = userInfo().uid === 0;
  // As root, run the binaries as `postgres` and give that user the directory.
  const asOwner = (command: string, args: string[]): [string, string[]] => (root ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args]);
  const work = mkdtempSync(join(tmpdir(), 'conduit-pg-'));
  chmodSync(work, 0o755);
  if (root) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (owner.status !== 0) throw new Error('running as root, PostgreSQL needs a `postgres` user to run as (initdb refuses root)');
    chownSync(work, Number(owner.stdout), Number(group.stdout));
  }
  const data = join(work, 'data');
  const log = join(work, 'server.log');
  const port = await freePort();

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    const [command, args] = asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    spawnSync(command, args, { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  };
  // A test process that ends without its afterAll (a crash, an interrupt) still stops the server.
  process.once('exit', stopSync);

  const exec = async (command: string, args: string[]) => {
    const [file, argv] = asOwner(command, args);
    await run(file, argv, { timeout: 60_000 });
  };
  // Durability off: the cluster is thrown away. Enough connections for two servers' pools.
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${work} -c max_connections=100 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  try {
    await exec('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--encoding=UTF8', '--locale=C.UTF-8']);
    await exec('pg_ctl', ['-D', data, '-l', log, '-w', '-o', options, 'start']);
  } catch (error) {
    const detail = existsSync(log) ? `\n${readFileSync(log, 'utf8')}` : '';
    stopSync();
    throw new Error(`could not start PostgreSQL from ${bin}: ${error instanceof Error ? error.message : String(error)}${detail}`);
  }
  const { stdout } = await run(join(bin, 'postgres'), ['--version']);

  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const pools: PgPool[] = [];
  const pool = (database: string) => {
    const created = new pg.Pool({ connectionString: url(database), max: 2 });
    pools.push(created);
    return created;
  };
  return {
    version: /\d+(?:\.\d+)+/.exec(stdout)?.[0] ?? 'unknown',
    port,
    url,
    pool,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
      const admin = new pg.Pool({ connectionString: url('postgres'), max: 1 });
      try {
        await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    async stop() {
      await Promise.all(pools.map((p) => p.end()));
      process.removeListener('exit', stopSync);
      stopSync();
    },
    async restart(downMs) {
      await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await exec('pg_ctl', ['-D', data, '-l', log, '-w', '-o', options, 'start']);
    },
  };
}
