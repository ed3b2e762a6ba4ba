import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { sqliteMigrations } from './migrations.js';
import { validReadPool, type ReadPoolOptions } from '../read-pool-options.js';
import { CachedSearch, DirectSearch } from '../search-engine.js';
import { ReadPool } from './read-pool.js';
import { SqliteSearch } from './search.js';
import { withStatementCache } from './statement-cache.js';
import { makePrivate } from './private-file.js';
import { openBucketFile, type BucketFile } from './bucket-file.js';

export interface SqliteOptions {
  /** Path of the database file, or ':memory:'. */
  file: string;
  /** Apply pending migrations on open (the default). `migrate` runs them explicitly. */
  migrate?: boolean;
  /** Fail instead of creating the file (and its directory) when it does not exist. */
  mustExist?: boolean;
  /**
   * How long a query waits for another process's write lock once the store is open (default
   * 5000 ms; migrations always get the default). better-sqlite3 waits synchronously, so in a
   * server this blocks every request: `serve` uses SERVE_BUSY_TIMEOUT_MS and answers 503 instead.
   */
  busyTimeoutMs?: number;
  /**
   * Run searches in worker threads with their own connections (sqlite/read-pool.ts). Without it,
   * or with size 0, they run on this connection, on the event loop (admin commands, tests).
   * Needs a file: an in-memory database is seen by its one connection only.
   */
  readPool?: ReadPoolOptions | undefined;
}

/**
 * Each read pool worker's page cache. The server's own connection keeps the larger cache for the
 * writes and point lookups of every request; a worker reads the recent part of the index a
 * ranking needs (measured in docs/benchmarks.md).
 */
export const READ_WORKER_CACHE_KB = 32 * 1024;

/**
 * The serving process's wait for a lock held by another process: long enough for an admin
 * command's brief write, short enough that a lock held for seconds turns into quick 503s
 * rather than an event loop stalled five seconds per query.
 */
export const SERVE_BUSY_TIMEOUT_MS = 250;

/** How long admin commands and migrations wait for another process's write lock. */
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * A warning when the directory of a SQLite database is open to other users (group or world may
 * read or write it): the files in it are private, but others can list them, and with write
 * access remove or replace them. Null when it is private, or for PostgreSQL and in-memory stores.
 */
export function dataDirectoryWarning(store: Pick<Store, 'dialect' | 'location'>): string | null {
  if (store.dialect !== 'sqlite' || store.location === ':memory:') return null;
  const dir = dirname(store.location);
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o066) === 0) return null;
  return `warning: the data directory ${dir} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); the database files in it are private (0600), but run \`chmod 700 ${dir}\` so nobody else can list, remove or replace them`;
}

/** Rows ANALYZE samples per index: enough for the planner's choices, bounded on big tables. */
const ANALYSIS_LIMIT = 1000;

const provider: MigrationProvider = { getMigrations: async () => sqliteMigrations };

/** Opens (creating if needed) the embedded SQLite store and brings its schema up to date. */
export async function openSqliteStore(options: SqliteOptions): Promise<Store> {
  if (options.readPool) validReadPool(options.readPool);
  // A command that only works on an existing database must not create one (nor its directory).
  if (options.file !== ':memory:' && !options.mustExist) makePrivate(options.file);
  const connection = new BetterSqlite3(options.file, { fileMustExist: options.mustExist ?? false });
  // WAL lets readers run while a write commits; busy_timeout makes a second process wait
  // for the write lock instead of failing at once.
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  // The default page cache is 2 MB: searches that join thousands of FTS hits to their rows would
  // read from the OS for each one (a search matching 9,000 of 1M messages: 55 ms with 32 MB of
  // cache, 30 ms with 64 MB). No mmap: measured with this cache it made that search no faster
  // and added its mapped pages, up to the whole file, to the process's resident memory.
  connection.pragma('cache_size = -65536');
  connection.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
  if (options.migrate !== false) await migrateToLatest(db);
  // Without statistics the planner guessed that `workspace_id = ? AND id IN (…20 ids)` reads
  // fewest rows through the workspace index, and scanned a whole workspace (16 ms at 1M messages
  // instead of 0.1 ms through the id index). SQLite's advice for long-lived connections: optimize
  // at open and periodically. It analyzes only the tables whose size changed a lot since the
  // last run, each with a bounded sample (about 0.1 s on a 1M-message database); 0x10000 makes it
  // look at every table, not only those this connection has read.
  connection.pragma(`analysis_limit = ${ANALYSIS_LIMIT}`);
  const refreshStatistics = async () => void connection.pragma('optimize = 0x10002');
  await refreshStatistics();
  if (options.busyTimeoutMs !== undefined) connection.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
  const readPool = options.readPool && options.readPool.size > 0 ? await startReadPool(db, options.file, options.readPool) : undefined;
  // Opened when first asked for: only a serving process keeps rate limits, and an admin
  // command must not leave a bucket file beside the database it was pointed at.
  let buckets: BucketFile | undefined;
  return {
    dialect: 'sqlite',
    db,
    search: new CachedSearch(db, readPool ?? new SqliteSearch(db)),
    // Searches in a transaction see its writes, on its connection, and nothing they find is cached
    // under a search version that may still roll back.
    transaction: (work) => db.transaction().execute((trx) => work({ dialect: 'sqlite', db: trx, search: new DirectSearch(new SqliteSearch(trx)) })),
    readPoolStats: () => readPool?.stats(),
    location: options.file,
    refreshStatistics,
    bucketDb: () => (buckets ??= openBucketFile(options.file, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)).db,
    async close() {
      await readPool?.close();
      await buckets?.close();
      await db.destroy();
    },
  };
}

export async function sqliteMigrationStatus(db: Kysely<Database>): Promise<{ applied: string[]; pending: string[] }> {
  const migrations = await new Migrator({ db, provider }).getMigrations();
  return {
    applied: migrations.filter((m) => m.executedAt).map((m) => m.name),
    pending: migrations.filter((m) => !m.executedAt).map((m) => m.name),
  };
}

async function startReadPool(db: Kysely<Database>, file: string, options: ReadPoolOptions): Promise<ReadPool> {
  if (file === ':memory:') {
    await db.destroy();
    throw new Error('an in-memory SQLite database cannot have a read pool (its workers would each see an empty database of their own): use a file, or read pool size 0');
  }
  try {
    return await ReadPool.start({ file, size: options.size, perWorkspace: options.perWorkspace, cacheSizeKb: READ_WORKER_CACHE_KB });
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
