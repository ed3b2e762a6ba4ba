import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { SearchEngine } from './search.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * What the rest of the server sees of the database: a Kysely instance whose queries are
 * written once for every dialect, plus the parts that differ per dialect (full-text
 * search, transactions with retry semantics).
 */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  readonly search: SearchEngine;
  /** A human-readable description of where the data lives (never includes credentials). */
  readonly location: string;
  /**
   * Refreshes the query planner's statistics where the database does not do it by itself
   * (SQLite; PostgreSQL's autovacuum already analyzes). Cheap when nothing changed much.
   */
  refreshStatistics(): Promise<void>;
  close(): Promise<void>;
}
