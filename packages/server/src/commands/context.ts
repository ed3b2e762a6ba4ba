import type { Command } from 'commander';
import { openStore, DEFAULT_DATA_DIR } from '../store/open.js';
import type { Store } from '../store/store.js';

export interface StoreOptions {
  dataDir?: string;
  database?: string;
}

/** Adds the options every command that opens the database shares. */
export function withStoreOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', `directory of the embedded SQLite database (env CONDUIT_DATA_DIR)`, process.env.CONDUIT_DATA_DIR ?? DEFAULT_DATA_DIR)
    .option('--database <url>', 'database URL instead of the embedded SQLite file (env DATABASE_URL)', process.env.DATABASE_URL);
}

/** Opens the store for one admin command and always closes it. */
export async function withStore<T>(options: StoreOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir: options.dataDir, database: options.database });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Resolves workspace slugs or ids to ids, failing with the list of known slugs. */
export async function resolveWorkspaceIds(store: Store, refs: string[]): Promise<string[]> {
  const rows = await store.db.selectFrom('workspaces').select(['id', 'slug']).execute();
  return refs.map((ref) => {
    const row = rows.find((w) => w.id === ref || w.slug === ref);
    if (!row) {
      const known = rows.map((w) => w.slug).join(', ') || 'none yet: create one with `workspaces create` or `seed --demo`';
      throw new Error(`unknown workspace "${ref}" (known: ${known})`);
    }
    return row.id;
  });
}
