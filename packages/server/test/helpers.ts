import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import type { Credential } from '../src/core/credential.js';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId, nowIso } from '../src/ids.js';
import { createPreflight, type Preflight } from '../src/mcp/preflight.js';
import { openPostgresStore } from '../src/store/postgres/open.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import type { ReadPoolOptions } from '../src/store/read-pool-options.js';
import type { Database } from '../src/store/schema.js';
import type { Store } from '../src/store/store.js';
import type { AnyTool, CallContext } from '../src/tools/define.js';
import { executeTool } from '../src/tools/execute.js';
import { createRegistry, type ToolRegistry } from '../src/tools/registry.js';
import type { CallToolResult } from '../src/tools/result.js';
import { TEST_DATABASE_URL, createPostgresTestStore } from './test-database.js';

export interface TestStore {
  store: Store;
  dir: string;
  /** Another store on the same database (as another process, or a replica, opens it); the caller closes it. */
  openAnother(): Promise<Store>;
  /** The admin commands' options for this database: `--data-dir <dir>` or `--database <url>`. */
  databaseArgs: string[];
  cleanup(): Promise<void>;
}

/**
 * A second connection to a test store's database whose queries are all recorded in `queries`, as
 * Kysely compiled them (SQLite: read-only). On PostgreSQL `pool`, its one connection, also runs
 * statements outside Kysely. The caller destroys `db`.
 */
export function loggingConnection(t: TestStore, queries: CompiledQuery[]): { db: Kysely<Database>; pool: pg.Pool | undefined } {
  const log = (event: { query: CompiledQuery }) => void queries.push(event.query);
  if (t.store.dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: t.databaseArgs[1], max: 1 });
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log }), pool };
  }
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(t.store.location, { readonly: true }) }), log }), pool: undefined };
}

/**
 * How test stores run searches: through a real read pool, as `serve` does (SQLite: a worker
 * thread built from the sources under test, see global-setup.ts; PostgreSQL: two at a time), so
 * every search test also proves the pool answers as a search on the server's own connection.
 */
export function testReadPool(dialect: 'sqlite' | 'postgres'): ReadPoolOptions {
  return dialect === 'sqlite' ? { size: 1 } : { size: 2 };
}

/**
 * A fresh database with real migrations: a SQLite file in a temporary directory, or, with
 * CONDUIT_TEST_DATABASE_URL set, a new database on that PostgreSQL server (dropped in cleanup).
 * `dir` is a temporary directory either way, for tests that need files. Searches go through a
 * read pool (testReadPool).
 */
export async function createTestStore(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-test-'));
  if (TEST_DATABASE_URL) {
    const { store, url, drop } = await createPostgresTestStore(TEST_DATABASE_URL, testReadPool('postgres'));
    return {
      store,
      dir,
      openAnother: () => openPostgresStore({ url, readPool: testReadPool('postgres') }),
      databaseArgs: ['--database', url],
      async cleanup() {
        await drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const file = join(dir, 'conduit.db');
  const store = await openSqliteStore({ file, readPool: testReadPool('sqlite') });
  return {
    store,
    dir,
    openAnother: () => openSqliteStore({ file, readPool: testReadPool('sqlite') }),
    databaseArgs: ['--data-dir', dir],
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createWorkspace(store: Store, slug: string, name = slug): Promise<Workspace> {
  const workspace = { id: newId('wp'), slug, name, created_at: nowIso() };
  await store.db.insertInto('workspaces').values(workspace).execute();
  return { id: workspace.id, slug, name };
}

export function credentialFor(workspaces: Workspace[], access: Credential['access'] = 'read_write'): Credential {
  return {
    kind: 'api_token',
    id: 'tok_test',
    userId: null,
    access,
    scopes: access === 'read_write' ? ['mcp:read', 'mcp:write'] : ['mcp:read'],
    workspaceIds: new Set(workspaces.map((w) => w.id)),
  };
}

let catalog: ToolRegistry | undefined;

/**
 * What the MCP preflight would hand executeTool for this credential (which is not checked for
 * write access here: that is the preflight's decision), serving the whole catalog unless
 * `overrides.servedTools` says otherwise.
 */
export function testContext(store: Store, credential: Credential, overrides: Partial<CallContext> = {}): CallContext {
  catalog ??= createRegistry();
  return {
    data: store,
    credential,
    cursorKey: Buffer.alloc(32, 7),
    idempotencyKeyHeader: undefined,
    now: () => new Date(),
    servedTools: catalog.served,
    ...overrides,
  };
}

/**
 * What the MCP preflight decides for a tools/call of `tool` by `credential` (with no rate limit):
 * 'run', or 'insufficient_scope' for a write tool and a credential without write access.
 */
export async function preflightOutcome(store: Store, credential: Credential, tool: AnyTool): Promise<Preflight['outcome']> {
  catalog ??= createRegistry();
  const preflight = createPreflight({ data: store, registry: catalog, cursorKey: Buffer.alloc(32, 7) });
  const message = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: tool.name, arguments: {} } };
  return (await preflight({ message, credential, idempotencyKeyHeader: undefined })).outcome;
}

/** Runs a tool the way tools/call does: input validation, handler, output validation. */
export function call(tool: AnyTool, args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
  return executeTool(tool, args, ctx);
}

/** Runs a tool and returns its structured output, failing the test on an error result. */
export async function callOk<T = Record<string, unknown>>(
  tool: AnyTool,
  args: Record<string, unknown>,
  ctx: CallContext,
): Promise<T> {
  const result = await executeTool(tool, args, ctx);
  if (result.isError) throw new Error(`expected success, got ${result.content[0]?.text}`);
  return result.structuredContent as T;
}

/** Runs a tool and returns the error text (`code: message`), failing the test on success. */
export async function callError(tool: AnyTool, args: Record<string, unknown>, ctx: CallContext): Promise<string> {
  const result = await executeTool(tool, args, ctx);
  if (!result.isError) throw new Error(`expected an error, got ${result.content[0]?.text}`);
  return result.content[0]?.text ?? '';
}
