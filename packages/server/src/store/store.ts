import type { Kysely } from 'kysely';
import type { BucketDatabase, Database } from './schema.js';
import type { ReadPoolStats } from './read-scheduler.js';
import type { SearchEngine } from './search.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * What queries need: a connection (or one transaction on it) and the search engine bound to the
 * same one. Search never runs on another connection than the queries around it: on SQLite (one
 * connection) a search outside a transaction would wait forever for the connection the
 * transaction holds, and on PostgreSQL it would not see the transaction's own writes.
 */
export interface DataScope {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  readonly search: SearchEngine;
}

/** A scope that can also open transactions: what running tools needs of the store. */
export interface DataSource extends DataScope {
  /**
   * Runs `work` in one transaction, its queries and searches bound to it: commits when `work`
   * resolves, rolls back when it throws. The transaction's search engine is its own, so a cache
   * filled from rows that are rolled back later never reaches the store's searches.
   */
  transaction<T>(work: (scope: DataScope) => Promise<T>): Promise<T>;
}

/**
 * What the rest of the server sees of the database: a Kysely instance whose queries are
 * written once for every dialect, plus the parts that differ per dialect (full-text
 * search, transactions with retry semantics).
 */
export interface Store extends DataSource {
  /** What the heavy reads (searches) are doing, when they go through a read pool. */
  readPoolStats(): ReadPoolStats | undefined;
  /** A human-readable description of where the data lives (never includes credentials). */
  readonly location: string;
  /**
   * Refreshes the query planner's statistics where the database does not do it by itself
   * (SQLite; PostgreSQL's autovacuum already analyzes). Cheap when nothing changed much.
   */
  refreshStatistics(): Promise<void>;
  /**
   * Where the rate-limit buckets are kept (limits/token-bucket.ts): on PostgreSQL the database
   * itself; on SQLite a file of its own beside the database (sqlite/bucket-file.ts says why),
   * opened the first time it is asked for and closed with the store.
   */
  bucketDb(): Kysely<BucketDatabase>;
  close(): Promise<void>;
}
