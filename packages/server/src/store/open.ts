import { join } from 'node:path';
import type { Store } from './store.js';
import { migratePostgres, openPostgresStore } from './postgres/open.js';
import { migrateToLatest, openSqliteStore } from './sqlite/open.js';

export interface OpenStoreOptions {
  /** Directory for the embedded SQLite database (default `./.conduit-data`). */
  dataDir?: string;
  /** A database URL: `postgres://…` (or `postgresql://…`) selects PostgreSQL, `sqlite:<file>` a SQLite file. */
  database?: string;
  /** PostgreSQL only: most pooled connections (default env PGPOOL_MAX, else 10). */
  poolMax?: number;
  migrate?: boolean;
  /** SQLite only: see SqliteOptions.busyTimeoutMs. */
  busyTimeoutMs?: number;
}

export const DEFAULT_DATA_DIR = '.conduit-data';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Opens the store the options describe. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const migrate = options.migrate ?? true;
  if (options.database !== undefined && isPostgresUrl(options.database)) {
    return openPostgresStore({ url: options.database, poolMax: options.poolMax, migrate });
  }
  const file = options.database?.startsWith('sqlite:')
    ? options.database.slice('sqlite:'.length)
    : join(options.dataDir ?? DEFAULT_DATA_DIR, 'conduit.db');
  return openSqliteStore({ file, migrate, busyTimeoutMs: options.busyTimeoutMs });
}

/** Applies the store's pending migrations (its dialect's set); returns the names applied. */
export function migrateStore(store: Store): Promise<string[]> {
  return store.dialect === 'postgres' ? migratePostgres(store.db) : migrateToLatest(store.db);
}
