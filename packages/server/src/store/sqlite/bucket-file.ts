import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { BucketDatabase } from '../schema.js';
import { makePrivate } from './private-file.js';
import { withStatementCache } from './statement-cache.js';

/**
 * The rate-limit buckets of a SQLite database live in a file of their own beside it,
 * `<database>-limits`. Every MCP request takes a token, which is a write; in the database file
 * each such commit made every read pool worker's connection drop its page cache at its next
 * read (SQLite discards the cache whenever another connection changed the file), so searches
 * re-read the index from the OS: 23.5 ms a search without the writes, 34.8 ms with them
 * (docs/benchmarks.md). Buckets hold no data worth a backup: without the file every bucket is
 * full, as after a day without requests.
 */
export function bucketFileOf(database: string): string {
  return database === ':memory:' ? ':memory:' : `${database}-limits`;
}

/** The bucket file's layout version, in its user_version: 0 is a new, empty file. */
const LAYOUT_VERSION = 1;

export interface BucketFile {
  readonly db: Kysely<BucketDatabase>;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the bucket file of the SQLite database `database`. Several server
 * processes on one database share it, as they share the database: WAL, and the same wait for
 * another process's write lock as the database's connection.
 */
export function openBucketFile(database: string, busyTimeoutMs: number): BucketFile {
  const file = bucketFileOf(database);
  if (file !== ':memory:') makePrivate(file);
  const connection = new BetterSqlite3(file);
  try {
    connection.pragma('journal_mode = WAL');
    // As the database: a commit waits for no fsync in WAL mode, and a crash loses at most the
    // last few token takes, never the file.
    connection.pragma('synchronous = NORMAL');
    connection.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    prepareLayout(connection, file);
  } catch (error) {
    connection.close();
    throw error;
  }
  const db = new Kysely<BucketDatabase>({ dialect: new SqliteDialect({ database: withStatementCache(connection, 20) }) });
  return { db, close: () => db.destroy() };
}

function prepareLayout(connection: BetterSqlite3.Database, file: string): void {
  connection
    .transaction(() => {
      const version = connection.pragma('user_version', { simple: true }) as number;
      if (version > LAYOUT_VERSION) {
        throw new Error(`${file} was written by a newer version of the server (layout ${version}, this one knows ${LAYOUT_VERSION}): upgrade, or stop every server on this database and remove the file (it holds only rate-limit counters)`);
      }
      if (version === LAYOUT_VERSION) return;
      connection.exec('CREATE TABLE IF NOT EXISTS rate_limit_buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_ms INTEGER NOT NULL)');
      connection.pragma(`user_version = ${LAYOUT_VERSION}`);
    })
    .immediate();
}
