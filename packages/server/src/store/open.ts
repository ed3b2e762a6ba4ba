import { join } from 'node:path';
import type { Store } from './store.js';
import { openSqliteStore } from './sqlite/open.js';

export interface OpenStoreOptions {
  /** Directory for the embedded SQLite database (default `./.conduit-data`). */
  dataDir?: string;
  /** A database URL; `postgres://…` selects PostgreSQL once that dialect exists. */
  database?: string;
  migrate?: boolean;
}

export const DEFAULT_DATA_DIR = '.conduit-data';

/** Opens the store the options describe. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  if (options.database && /^postgres(ql)?:\/\//.test(options.database)) {
    throw new Error('PostgreSQL is not supported by this build yet; use the embedded SQLite store (--data-dir).');
  }
  const file = options.database?.startsWith('sqlite:')
    ? options.database.slice('sqlite:'.length)
    : join(options.dataDir ?? DEFAULT_DATA_DIR, 'conduit.db');
  return openSqliteStore({ file, migrate: options.migrate ?? true });
}
