import { redactRedisUrl, validateRedisUrl } from '../limits/redis-connection.js';
import type { RateLimitPolicy } from '../limits/policy.js';
import { LOG_FORMATS, LOG_LEVELS } from '../logger.js';
import { databaseTarget, DEFAULT_DATA_DIR, parseDatabaseUrl } from '../store/open.js';
import { redactUrl } from '../store/postgres/open.js';
import { defaultReadPoolSize, type ReadPoolOptions } from '../store/read-pool-options.js';
import { parsePublicUrl } from './public-url.js';
import { ConfigError, resolveSettings, settingName, toggle, value, type SettingSource, type SettingsValues } from './setting.js';
import { commaList, hostHeader, httpUrl, ipAddress, listenHost, nonEmpty, oneOf, origin, parsed, positiveNumber, redactUserInfo, wholeNumber } from './values.js';

/**
 * Every setting of the server, each declared once (flag, environment variable, default, parser).
 * `serve` takes them all; the other commands take the store settings. To add a setting, declare
 * it in the group whose consumer reads it: STORE_SETTINGS reach `openStore` through StoreConfig,
 * SERVER_SETTINGS reach `createConduitServer` as ConduitServerOptions (they are its fields).
 */

function redactDatabaseUrl(text: string): string {
  return /^postgres(ql)?:\/\//.test(text) ? redactUrl(text) : redactUserInfo(text);
}

export const STORE_SETTINGS = {
  dataDir: value({
    flag: '--data-dir <dir>',
    env: 'CONDUIT_DATA_DIR',
    description: `directory of the embedded SQLite database, conduit.db (default ${DEFAULT_DATA_DIR}; not with --database)`,
    schema: nonEmpty('a directory'),
  }),
  database: value({
    flag: '--database <url>',
    env: 'DATABASE_URL',
    description: 'database URL instead of the embedded SQLite file: postgres://… (or postgresql://…) for PostgreSQL, sqlite:<file> for a SQLite file elsewhere',
    secret: true,
    redact: redactDatabaseUrl,
    schema: parsed((text) => {
      parseDatabaseUrl(text);
      return text;
    }),
  }),
  poolMax: value({ env: 'PGPOOL_MAX', default: '10', description: 'most PostgreSQL connections per process', schema: wholeNumber(1, 1000) }),
  namedStatements: value({
    env: 'CONDUIT_PG_NAMED_STATEMENTS',
    default: 'on',
    description: 'off runs every PostgreSQL statement unnamed, for a pooler in transaction mode that does not track prepared statements',
    schema: oneOf(['on', 'off']).transform((v) => v === 'on'),
  }),
};

const DELIVERY_SECRET_MIN = 16;
/** Far above any core count the pool is sized to; a bigger number is a typo. */
const MAX_READ_POOL = 256;
/** See docs/self-hosting.md (Memory) for what it saves and costs, measured. */
const DEFAULT_HEAP_GROWTH_PERCENT = 20;

export const SERVER_SETTINGS = {
  host: value({ flag: '--host <host>', env: 'HOST', default: '127.0.0.1', description: 'interface to listen on', schema: parsed(listenHost) }),
  port: value({ flag: '--port <port>', env: 'PORT', default: '8787', description: 'port to listen on, 0 for any free port', schema: wholeNumber(0, 65535, 'a port number') }),
  publicUrl: value({
    flag: '--public-url <url>',
    env: 'CONDUIT_PUBLIC_URL',
    description: 'URL clients reach this server at, an origin without a path, e.g. https://mcp.example.com (default http://<host>:<port>)',
    schema: parsed((text) => parsePublicUrl(text).origin),
  }),
  allowedHosts: value({
    flag: '--allowed-hosts <hosts>',
    env: 'CONDUIT_ALLOWED_HOSTS',
    description: 'extra Host header values to accept, comma-separated (DNS-rebinding protection)',
    schema: commaList(hostHeader),
  }),
  allowedOrigins: value({
    flag: '--allowed-origins <origins>',
    env: 'CONDUIT_ALLOWED_ORIGINS',
    description: 'extra browser Origins to accept, comma-separated',
    schema: commaList(origin),
  }),
  trustedProxies: value({
    flag: '--trusted-proxies <ips>',
    env: 'CONDUIT_TRUSTED_PROXIES',
    description: 'IP addresses of reverse proxies in front of the server, comma-separated: their X-Forwarded-For names the client for the per-address sign-in and OAuth limits',
    schema: commaList(ipAddress),
  }),
  rateLimit: value({
    flag: '--rate-limit <n>',
    env: 'CONDUIT_RATE_LIMIT',
    default: '120',
    description: 'requests per minute per workspace, shared by all replicas on one database (or Redis); 0 turns it off',
    schema: wholeNumber(0, 1_000_000_000, 'a whole number of requests per minute').transform((n): RateLimitPolicy | false => (n === 0 ? false : { limit: n, windowSeconds: 60 })),
  }),
  redisUrl: value({
    flag: '--redis-url <url>',
    env: 'REDIS_URL',
    description: "keep every rate limit's buckets (per workspace, OAuth and sign-in) in this Redis instead of the database: redis://[:password@]host[:port][/db], rediss:// or unix:///path.sock; while it is down, requests get 503",
    secret: true,
    redact: redactRedisUrl,
    schema: parsed((text) => {
      try {
        validateRedisUrl(text);
      } catch (error) {
        // validateRedisUrl names the URL itself; the setting's name and the redacted URL are added by resolveSettings.
        throw new Error(String((error as Error).message).replace(/^invalid Redis URL "[^"]*": /, ''));
      }
      return text;
    }),
  }),
  deliveryWebhook: value({
    flag: '--delivery-webhook <url>',
    env: 'CONDUIT_DELIVERY_WEBHOOK',
    description: 'POST each outbound message here, signed with HMAC-SHA256 using env CONDUIT_DELIVERY_SECRET; without it sends are marked sent in the local log',
    secret: true,
    redact: redactUserInfo,
    schema: parsed(httpUrl),
  }),
  deliverySecret: value({
    env: 'CONDUIT_DELIVERY_SECRET',
    description: `HMAC-SHA256 key for the delivery webhook's signature, at least ${DELIVERY_SECRET_MIN} characters (only from the environment, so it stays out of ps)`,
    secret: true,
    schema: parsed((text) => {
      if (text.length < DELIVERY_SECRET_MIN) throw new Error(`expected at least ${DELIVERY_SECRET_MIN} characters (it got ${text.length})`);
      return text;
    }),
  }),
  deliveryClaimSeconds: value({
    flag: '--delivery-claim-seconds <s>',
    env: 'CONDUIT_DELIVERY_CLAIM_SECONDS',
    default: '60',
    description: "how long a delivery attempt holds its message; one cut off by a crash is retried after this, so keep it above the webhook's response time",
    schema: positiveNumber(86_400, 'a number of seconds'),
  }),
  requestTimeout: value({
    flag: '--request-timeout <s>',
    env: 'CONDUIT_REQUEST_TIMEOUT',
    default: '30',
    description: 'seconds a client may take to send a whole request (its headers within 10 s); a slower one gets 408 and is disconnected',
    schema: wholeNumber(1, 3600, 'a whole number of seconds'),
  }),
  readPoolSize: value({
    flag: '--read-pool-size <n>',
    env: 'CONDUIT_READ_POOL_SIZE',
    description:
      "searches run this many at once: on SQLite each in a worker thread with its own connection, on PostgreSQL each holding one pooled connection (below PGPOOL_MAX); 0 runs them on the server's own connection (default: one per core; on PostgreSQL at most PGPOOL_MAX - 2)",
    schema: wholeNumber(0, MAX_READ_POOL),
  }),
  readPoolPerWorkspace: value({
    flag: '--read-pool-per-workspace <n>',
    env: 'CONDUIT_READ_POOL_PER_WORKSPACE',
    description: 'most searches one workspace runs at once, from 1 to the pool size (default: the pool size; workspaces waiting at the same time always share it)',
    schema: wholeNumber(1, MAX_READ_POOL),
  }),
  sessions: toggle({ flag: '--sessions', env: 'CONDUIT_SESSIONS', description: 'issue Mcp-Session-Id sessions (default: stateless, so replicas need no sticky routing)' }),
  logLevel: value({ flag: '--log-level <level>', env: 'LOG_LEVEL', default: 'info', description: `least important log level written: ${LOG_LEVELS.join(', ')}`, schema: oneOf(LOG_LEVELS) }),
  logFormat: value({
    flag: '--log-format <format>',
    env: 'CONDUIT_LOG_FORMAT',
    default: 'auto',
    description: 'json (one JSON object a line), pretty (a readable line per request) or auto: pretty when standard output is a terminal, else json',
    schema: oneOf(LOG_FORMATS),
  }),
};

/** Settings of `serve` itself, not of the server it starts. */
export const SERVE_COMMAND_SETTINGS = {
  demo: toggle({ flag: '--demo', description: 'on an empty database, create demo workspaces, a demo user and a read_write token, and print them' }),
  heapGrowthPercent: value({
    flag: '--heap-growth-percent <n>',
    env: 'CONDUIT_HEAP_GROWTH_PERCENT',
    default: String(DEFAULT_HEAP_GROWTH_PERCENT),
    description: "how far V8 lets the process's heaps grow past what the last full garbage collection kept before collecting again, 0 to 300; lower keeps memory down for some CPU; 0 leaves it to V8, which grows them up to 4x under load",
    schema: wholeNumber(0, 300),
  }),
};

export type ServerSettings = SettingsValues<typeof SERVER_SETTINGS>;

/** Where the database is: exactly one of `dataDir` and `database`, plus the PostgreSQL pool settings. */
export interface StoreConfig {
  dataDir: string | undefined;
  database: string | undefined;
  poolMax: number;
  namedStatements: boolean;
}

export interface ServerConfig {
  store: StoreConfig;
  server: ServerSettings;
  /** Where searches run: the pool size resolved (one per core unless set) and checked against the other settings. */
  readPool: ReadPoolOptions;
  demo: boolean;
  /** V8's heap growth for the process, which `serve` sets before it starts (see commands/heap-growth.ts). */
  heapGrowthPercent: number;
}

/**
 * The database from the store settings. On the command line, --data-dir and --database name two
 * different databases, so giving both is an error. A flag wins over both variables; between the
 * variables, DATABASE_URL wins (an image may set a default CONDUIT_DATA_DIR).
 */
export function parseStoreConfig(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): StoreConfig {
  const { values, sources } = resolveSettings(STORE_SETTINGS, raw, env);
  if (sources.dataDir === 'flag' && sources.database === 'flag') {
    throw new ConfigError(['--data-dir and --database name two different databases: give one of them']);
  }
  const useDatabase = values.database !== undefined && (sources.database === 'flag' || sources.dataDir !== 'flag');
  return {
    dataDir: useDatabase ? undefined : (values.dataDir ?? DEFAULT_DATA_DIR),
    database: useDatabase ? values.database : undefined,
    poolMax: values.poolMax,
    namedStatements: values.namedStatements,
  };
}

/** Everything `serve` runs with, from its parsed flags and the environment; every problem reported at once. */
export function parseServerConfig(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): ServerConfig {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const store = attempt(() => parseStoreConfig(raw, env));
  const resolved = attempt(() => resolveSettings(SERVER_SETTINGS, raw, env));
  const server = resolved?.values;
  const command = attempt(() => resolveSettings(SERVE_COMMAND_SETTINGS, raw, env).values);
  if (server?.deliveryWebhook && !server.deliverySecret) {
    problems.push(`--delivery-webhook needs the signing secret in env CONDUIT_DELIVERY_SECRET (at least ${DELIVERY_SECRET_MIN} characters)`);
  }
  const readPool = store && resolved ? resolveReadPool(store, resolved.values, resolved.sources, problems) : undefined;
  if (problems.length > 0 || !store || !server || !command || !readPool) throw new ConfigError(problems);
  return { store, server, readPool, demo: command.demo, heapGrowthPercent: command.heapGrowthPercent };
}

/**
 * The read pool from its two settings: the size defaults to one per core (on PostgreSQL, fewer
 * than the connection pool, so searches never hold every connection), the per-workspace bound
 * must fit in it, and on PostgreSQL a size given explicitly must leave connections for the rest.
 */
function resolveReadPool(store: StoreConfig, server: ServerSettings, sources: Record<keyof ServerSettings, SettingSource>, problems: string[]): ReadPoolOptions {
  const postgresPoolMax = databaseTarget(store).dialect === 'postgres' ? store.poolMax : undefined;
  const size = server.readPoolSize ?? defaultReadPoolSize(postgresPoolMax);
  const perWorkspace = server.readPoolPerWorkspace;
  const sizeName = settingName(SERVER_SETTINGS.readPoolSize, sources.readPoolSize);
  const perName = settingName(SERVER_SETTINGS.readPoolPerWorkspace, sources.readPoolPerWorkspace);
  if (postgresPoolMax !== undefined && size >= postgresPoolMax) {
    problems.push(`invalid ${sizeName} "${size}": expected fewer than PGPOOL_MAX (${postgresPoolMax}) on PostgreSQL, so searches cannot hold every connection the other requests need`);
  }
  if (perWorkspace !== undefined && size === 0) {
    problems.push(`${perName} needs a read pool: it cannot be used with ${sizeName} 0`);
  } else if (perWorkspace !== undefined && perWorkspace > size) {
    const of = sources.readPoolSize === 'unset' ? 'the default here' : sizeName;
    problems.push(`invalid ${perName} "${perWorkspace}": expected from 1 to the read pool size, ${size} (${of})`);
  }
  return { size, perWorkspace };
}
