import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a small
 * indexed lookup. The driver uses one connection behind a mutex, so a prepared statement is
 * never used by two queries at once and can be reused safely. Bounded, least recently used first
 * out, because ad-hoc queries (search filters, IN lists) produce many distinct SQL strings.
 */
export function withStatementCache(db: BetterSqlite3.Database, capacity = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql); // re-insert: Map order is our recency order
      } else {
        statement = db.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
    close() {
      cache.clear();
      db.close();
    },
  };
}
