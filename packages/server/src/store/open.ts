import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadPoolOptions } from './read-pool-options.js';
import type { Store } from './store.js';
import { migratePostgres, openPostgresStore, postgresMigrationStatus } from './postgres/open.js';
import { migrateToLatest, openSqliteStore, sqliteMigrationStatus } from './sqlite/open.js';

export interface OpenStoreOptions {
  /** Directory for the embedded SQLite database (default `./.conduit-data`). */
  dataDir?: string;
  /** A database URL: `postgres://…` (or `postgresql://…`) selects PostgreSQL, `sqlite:<file>` a SQLite file. */
  database?: string;
  /** PostgreSQL only: most pooled connections (default 10). */
  poolMax?: number;
  /** PostgreSQL only: see PostgresOptions.namedStatements (default on). */
  namedStatements?: boolean;
  migrate?: boolean;
  /**
   * Open only a database that exists (a SQLite file that is there): for commands that read or
   * change what is in it, which must not leave an empty database behind when pointed at the
   * wrong place.
   */
  mustExist?: boolean;
  /** SQLite only: see SqliteOptions.busyTimeoutMs. */
  busyTimeoutMs?: number;
  /** Where searches run, and how many at once (read-pool-options.ts); none by default (admin commands). */
  readPool?: ReadPoolOptions | undefined;
}

export const DEFAULT_DATA_DIR = '.conduit-data';

export type DatabaseTarget = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export const DATABASE_URL_FORMS = 'postgres://…, postgresql://… or sqlite:<file>';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * The database a URL names. Anything but the supported forms is an error: a typo such as
 * `postgress://` must not quietly become a SQLite file that the data is then written to.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (isPostgresUrl(url)) {
    if (!URL.canParse(url)) throw new Error(`expected a PostgreSQL URL such as postgres://user:password@host:5432/database`);
    return { dialect: 'postgres', url };
  }
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (!file || file.startsWith('//')) throw new Error('expected sqlite:<file path>, e.g. sqlite:/var/lib/conduit/conduit.db or sqlite:data/conduit.db');
    return { dialect: 'sqlite', file };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new Error(`${scheme ? `unsupported scheme "${scheme}:"` : 'not a database URL'}; expected ${DATABASE_URL_FORMS}`);
}

export function databaseTarget(options: { dataDir?: string | undefined; database?: string | undefined }): DatabaseTarget {
  if (options.database !== undefined) return parseDatabaseUrl(options.database);
  return { dialect: 'sqlite', file: join(options.dataDir ?? DEFAULT_DATA_DIR, 'conduit.db') };
}

/** Raised for `mustExist` when there is no database where the options point. */
export class NoDatabaseError extends Error {
  override readonly name = 'NoDatabaseError';
  constructor(readonly location: string) {
    super(`no database at ${location}`);
  }
}

/** Opens the store the options describe. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const migrate = options.migrate ?? true;
  const target = databaseTarget(options);
  if (target.dialect === 'postgres') {
    return openPostgresStore({ url: target.url, poolMax: options.poolMax, namedStatements: options.namedStatements, migrate, readPool: options.readPool });
  }
  if (options.mustExist && target.file !== ':memory:' && !existsSync(target.file)) throw new NoDatabaseError(target.file);
  return openSqliteStore({ file: target.file, migrate, mustExist: options.mustExist, busyTimeoutMs: options.busyTimeoutMs, readPool: options.readPool });
}

/** Applies the store's pending migrations (its dialect's set); returns the names applied. */
export function migrateStore(store: Store): Promise<string[]> {
  return store.dialect === 'postgres' ? migratePostgres(store.db) : migrateToLatest(store.db);
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** Which of the dialect's migrations the database has, without changing anything. */
export function migrationStatus(store: Store): Promise<MigrationStatus> {
  return store.dialect === 'postgres' ? postgresMigrationStatus(store.db) : sqliteMigrationStatus(store.db);
}
