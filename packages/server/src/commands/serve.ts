import { Command } from 'commander';
import { createApiToken } from '../auth/api-tokens.js';
import { parseServerConfig, SERVE_COMMAND_SETTINGS, SERVER_SETTINGS, STORE_SETTINGS, type ServerConfig, type StoreConfig } from '../config/server-config.js';
import { addSettings } from '../config/setting.js';
import { seedDemo } from '../demo/seed.js';
import { redactRedisUrl } from '../limits/redis-connection.js';
import { createLogger } from '../logger.js';
import { createConduitServer, type ConduitServer } from '../server.js';
import type { ReadPoolOptions } from '../store/read-pool-options.js';
import { bucketFileOf } from '../store/sqlite/bucket-file.js';
import { dataDirectoryWarning, SERVE_BUSY_TIMEOUT_MS } from '../store/sqlite/open.js';
import type { Store } from '../store/store.js';
import { openCommandStore, type CommandIo } from './context.js';

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The options that point an admin command at the database `serve` runs on, for the commands it
 * prints. A PostgreSQL URL is not repeated (it holds a password): the hint names the variable.
 */
export function databaseFlags(store: StoreConfig): string {
  if (store.database === undefined) return ` --data-dir ${shellWord(store.dataDir ?? '.conduit-data')}`;
  return store.database.startsWith('sqlite:') ? ` --database ${shellWord(store.database)}` : ' --database "$DATABASE_URL"';
}

async function count(store: Store, table: 'workspaces' | 'users' | 'api_tokens'): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Seeds demo data into an empty database and returns what to print, or what it did instead. */
async function prepareDemo(store: Store, flags: string): Promise<string[]> {
  const existing = await store.db.selectFrom('workspaces').select('slug').where('slug', '=', 'acme-hotels').executeTakeFirst();
  if (existing) {
    return [
      'Demo data already present (acme-hotels): nothing seeded. Tokens are shown only once; create another with:',
      `  conduit-mcp-server tokens create --workspace acme-hotels --access read_write${flags}`,
    ];
  }
  const found = { workspaces: await count(store, 'workspaces'), users: await count(store, 'users'), 'API tokens': await count(store, 'api_tokens') };
  const present = Object.entries(found).filter(([, n]) => n > 0);
  if (present.length > 0) {
    return [
      `Demo data not created: --demo only seeds an empty database, and this one has ${present.map(([what, n]) => `${n} ${n === 1 ? what.replace(/s$/, '') : what}`).join(', ')}.`,
      '  For the demo, use a new database, e.g. conduit-mcp-server serve --demo --data-dir .conduit-demo',
    ];
  }
  const demo = await seedDemo(store);
  const { token } = await createApiToken(store, {
    name: 'demo',
    access: 'read_write',
    workspaceIds: demo.workspaces.map((w) => w.id),
    expiresAt: null,
  });
  return [
    `Demo data created: ${demo.workspaces.map((w) => w.slug).join(', ')}`,
    `  Sign in (OAuth consent page): ${demo.user.email} / ${demo.user.password}`,
    `  API token (read_write, shown once): ${token}`,
  ];
}

function rateLimitLine(config: ServerConfig['server'], store: Store): string {
  const where = config.redisUrl ? `Redis ${redactRedisUrl(config.redisUrl)}` : store.dialect === 'sqlite' ? bucketFileOf(store.location) : 'the database';
  // The OAuth and sign-in limits are always on, so their buckets live somewhere even with the workspace limit off.
  if (config.rateLimit === false) return `off per workspace; OAuth and sign-in buckets in ${where}`;
  return `${config.rateLimit.limit}/min per workspace, buckets in ${where}`;
}

function readPoolLine(pool: ReadPoolOptions, dialect: string): string {
  if (pool.size === 0) return "on the server's own connection (--read-pool-size 0)";
  const where = dialect === 'sqlite' ? `${pool.size} worker thread${pool.size === 1 ? '' : 's'}` : `${pool.size} at a time`;
  return `${where}, at most ${pool.perWorkspace ?? pool.size} per workspace`;
}

export interface RunningServer {
  server: ConduitServer;
  /** Stops accepting, finishes the requests in flight, then closes the database. */
  close(): Promise<void>;
}

/** Opens the database, seeds the demo if asked, starts the server and prints where it is. */
export async function startServe(io: CommandIo, config: ServerConfig): Promise<RunningServer> {
  const { store, label } = await openCommandStore(config.store, 'create', { busyTimeoutMs: SERVE_BUSY_TIMEOUT_MS, readPool: config.readPool });
  try {
    const exposed = dataDirectoryWarning(store);
    if (exposed) io.err(`${exposed}\n`);
    const flags = databaseFlags(config.store);
    const demoLines = config.demo ? await prepareDemo(store, flags) : [];
    const logger = createLogger({ level: config.server.logLevel, format: config.server.logFormat, output: io.logOutput });
    const server = await createConduitServer({ ...config.server, store, logger });
    const lines = [
      `Conduit MCP server ${server.mcpUrl}`,
      `  database: ${label}`,
      `  delivery: ${config.server.deliveryWebhook ? `webhook ${new URL(config.server.deliveryWebhook).origin}` : 'local log (no --delivery-webhook)'}`,
      `  rate limit: ${rateLimitLine(config.server, store)}`,
      `  searches: ${readPoolLine(config.readPool, store.dialect)}`,
      ...demoLines,
      'Connect:',
      `  npx conduit-mcp login --url ${server.mcpUrl}   (then add \`npx conduit-mcp --url ${server.mcpUrl}\` to your MCP client)`,
      `  or any MCP client with header  Authorization: Bearer <capi_ token>`,
      `Administer (users, tokens, OAuth grants): conduit-mcp-server <command>${flags}, e.g. conduit-mcp-server users list${flags}`,
    ];
    io.out(`${lines.join('\n')}\n`);
    return {
      server,
      async close() {
        await server.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export function serveCommand(io: CommandIo): Command {
  const command = new Command('serve').description('run the MCP server (POST /v1/mcp)');
  addSettings(command, { ...STORE_SETTINGS, ...SERVER_SETTINGS, ...SERVE_COMMAND_SETTINGS });
  return command.action(async (raw: Record<string, unknown>) => {
    const config = parseServerConfig(raw, io.env);
    // Before the read pool's workers start: their heaps take the setting from their creation.
    io.limitHeapGrowth(config.heapGrowthPercent);
    const running = await startServe(io, config);
    io.onShutdown(() => running.close());
  });
}
