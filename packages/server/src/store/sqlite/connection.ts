import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';
import { withStatementCache } from './statement-cache.js';

/**
 * A read-only connection for a read pool worker. The server's own connection set up the file
 * (WAL, migrations), so this one only reads: in WAL mode readers never wait for the writer, and
 * each statement sees the last commit. Its wait for a lock is short: only a checkpoint that
 * resets the log can make a reader wait.
 */
export function openReadConnection(file: string, cacheSizeKb: number): Kysely<Database> {
  const connection = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  connection.pragma(`cache_size = -${cacheSizeKb}`);
  connection.pragma('busy_timeout = 1000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
}
