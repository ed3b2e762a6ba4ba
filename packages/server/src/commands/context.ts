import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { parseStoreConfig, STORE_SETTINGS, type StoreConfig } from '../config/server-config.js';
import { addSettings } from '../config/setting.js';
import type { LogOutput } from '../logger.js';
import type { ProgressOutput } from './seed-progress.js';
import { databaseTarget, migrateStore, migrationStatus, NoDatabaseError, openStore } from '../store/open.js';
import type { ReadPoolOptions } from '../store/read-pool-options.js';
import type { Store } from '../store/store.js';

/**
 * What a command may touch outside itself. `cli.ts` builds it from the process; tests build
 * their own, so the commands run in-process with their own environment and captured output.
 */
export interface CommandIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
  /** Where `serve` writes its logs (standard output when absent). */
  logOutput?: LogOutput;
  /** Where long commands (`seed`) draw their progress: standard error, with its terminal size (lines on `err` when absent). */
  progress?: ProgressOutput;
  /** Runs `stop` when the process is asked to stop (SIGTERM, SIGINT). */
  onShutdown(stop: () => Promise<void>): void;
  /** Sets V8's heap growth for the process (`serve`'s --heap-growth-percent; see heap-growth.ts). */
  limitHeapGrowth(percent: number): void;
}

/** Adds the options every command that opens the database shares. */
export function withStoreOptions(command: Command): Command {
  return addSettings(command, STORE_SETTINGS);
}

/**
 * How a command uses the database:
 * - `create`: makes it if it is not there and applies migrations (`serve`, `migrate`, `seed`,
 *   `workspaces create`: what a new installation starts with);
 * - `change`: changes what is in an existing database (applying pending migrations first);
 * - `read`: only reads, and changes nothing, not even the schema.
 * `change` and `read` never create a database: pointed at the wrong directory, they say so
 * instead of answering from a new, empty one.
 */
export type StoreAccess = 'create' | 'change' | 'read';

const POINT_ELSEWHERE = 'point the command at the server\'s database with --data-dir <dir> or --database <url> (env CONDUIT_DATA_DIR / DATABASE_URL)';

function missing(location: string): Error {
  return new Error(`no database at ${location}: ${POINT_ELSEWHERE}, or create one with \`conduit-mcp-server migrate\` (or \`serve\`)`);
}

/**
 * Opens the database a command's options name, as `access` allows. `label` names it for the
 * output (location, and "(new)" when this created it); `migrated` lists the migrations applied.
 */
export async function openCommandStore(
  config: StoreConfig,
  access: StoreAccess,
  serving: { busyTimeoutMs?: number; readPool?: ReadPoolOptions } = {},
): Promise<{ store: Store; label: string; migrated: string[] }> {
  const target = databaseTarget(config);
  const isNewFile = target.dialect === 'sqlite' && target.file !== ':memory:' && !existsSync(target.file);
  let store: Store;
  try {
    store = await openStore({ ...config, ...serving, migrate: false, mustExist: access !== 'create' });
  } catch (error) {
    if (error instanceof NoDatabaseError) throw missing(error.location);
    throw error;
  }
  try {
    const status = await migrationStatus(store);
    if (access !== 'create' && status.applied.length === 0) throw missing(`${store.location} (it has no tables yet)`);
    if (status.pending.length > 0) {
      if (access === 'read') {
        throw new Error(`the database at ${store.location} lacks migrations ${status.pending.join(', ')}: run \`conduit-mcp-server migrate\` with the same options (or start \`serve\`), then try again`);
      }
    }
    const migrated = status.pending.length > 0 ? await migrateStore(store) : [];
    return { store, label: `${store.location}${isNewFile || status.applied.length === 0 ? ' (new)' : ''}`, migrated };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Opens the store for one command, names it on stderr, and always closes it. */
export async function withStore<T>(io: CommandIo, raw: Record<string, unknown>, access: StoreAccess, fn: (store: Store) => Promise<T>): Promise<T> {
  const { store, label } = await openCommandStore(parseStoreConfig(raw, io.env), access);
  io.err(`database: ${label}\n`);
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

/** Collects a repeatable, comma-separable option (`--workspace a --workspace b,c`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}
