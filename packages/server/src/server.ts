import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { looksLikeApiToken, verifyApiToken } from './auth/api-tokens.js';
import type { Credential } from './core/credential.js';
import { startDeliveryWorker, type DeliveryOptions } from './delivery/worker.js';
import { parsePublicUrl } from './config/public-url.js';
import type { ServerSettings, StoreConfig } from './config/server-config.js';
import { gracefulClose } from './http/graceful-close.js';
import { createOriginPolicy } from './http/origin.js';
import { Metrics } from './http/metrics.js';
import { createSessionRegistry } from './http/sessions.js';
import { createLimiter, type RateLimitPolicy } from './limits/policy.js';
import { createRedisBuckets } from './limits/redis-bucket.js';
import { connectRedis, validateRedisUrl } from './limits/redis-connection.js';
import { createDatabaseBuckets, pruneIdleBuckets } from './limits/token-bucket.js';
import { createLogger } from './logger.js';
import { createRouter, MCP_PATH, RESOURCE_METADATA_PATH, type ReadinessDependency, type RouteHandler } from './http/router.js';
import { createPreflight, type McpRateLimits } from './mcp/preflight.js';
import { createProtocolHandler } from './mcp/protocol.js';
import { prepareOAuth, type OAuthOptions } from './oauth/index.js';
import { databaseTarget, openStore } from './store/open.js';
import { DEFAULT_POOL_MAX } from './store/postgres/open.js';
import { readPoolFor } from './store/read-pool-options.js';
import { SERVE_BUSY_TIMEOUT_MS } from './store/sqlite/open.js';
import { serverKey } from './store/settings.js';
import type { Store } from './store/store.js';
import { pruneIdempotencyKeys } from './tools/idempotency.js';
import { createRegistry } from './tools/registry.js';
import { SERVER_VERSION } from './version.js';

/**
 * The settings (ServerSettings, declared with their flags and env variables in
 * config/server-config.ts, where `serve` parses them) and what only a program can pass.
 */
export interface ConduitServerOptions extends Partial<ServerSettings>, Partial<StoreConfig> {
  /** Use this store instead of opening one (tests, embedding). It is not closed by close(). */
  store?: Store;
  maxBodyBytes?: number;
  /** How long a client may take to send a request's headers (default 10 s, never more than requestTimeout). */
  headersTimeoutMs?: number;
  /** Used instead of one built from logLevel and logFormat. */
  logger?: Logger;
  /** Outbox delivery beyond the settings (poll interval, retries); false to not run a worker in this process. */
  delivery?: Omit<DeliveryOptions, 'webhookUrl' | 'webhookSecret'> | false;
  /** OAuth authorization server limits (per-IP endpoint limits, sign-in throttling). */
  oauth?: Omit<OAuthOptions, 'trustedProxies'>;
}

export interface ConduitServer {
  readonly store: Store;
  /** The public base URL, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  /** The MCP endpoint, e.g. http://127.0.0.1:8787/v1/mcp. */
  readonly mcpUrl: string;
  readonly httpServer: Server;
  close(): Promise<void>;
}

const INSTRUCTIONS = [
  'Conduit gives access to a support team\'s contacts, conversations, tickets, calls, appointments, reservations, knowledge base, agents and skills.',
  'Start by calling list_workspaces and use one workspace id or slug as workspace_id for every other call in this session.',
  'Tools starting with send_ reach real customers: only call them when the user asked to send, and pass a fresh idempotency_key (a UUID) per logical send so retries never send twice.',
].join(' ');

export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { limit: 120, windowSeconds: 60 };

/**
 * The HTTP server's timeouts, for an API whose requests are one JSON message of at most 1 MiB:
 * a client gets 10 s for its headers and 30 s for the whole request (Node's defaults, 60 s and
 * 300 s, let a slow client hold a connection and its buffers for five minutes). Idle keep-alive
 * connections close after 65 s, longer than the usual 60 s of a proxy or load balancer in front,
 * so the proxy, not the server, closes them and never reuses one the server just closed.
 * Responses are not timed: a tool call takes as long as it takes.
 */
export const HTTP_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 65_000, checkIntervalMs: 1_000 } as const;

/** Hourly upkeep: expired idempotency keys, idle rate-limit buckets, planner statistics. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** Starts the HTTP server (listening) and returns once it accepts connections. */
export async function createConduitServer(options: ConduitServerOptions = {}): Promise<ConduitServer> {
  // A mistyped URL fails before anything is opened.
  if (options.redisUrl) validateRedisUrl(options.redisUrl);
  let configuredUrl: URL | undefined;
  try {
    configuredUrl = options.publicUrl === undefined ? undefined : parsePublicUrl(options.publicUrl);
  } catch (error) {
    throw new Error(`invalid publicUrl "${options.publicUrl}": ${(error as Error).message}`);
  }
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? createLogger({ level: options.logLevel, format: options.logFormat });
  const store =
    options.store ??
    (await openStore({
      dataDir: options.dataDir,
      database: options.database,
      poolMax: options.poolMax,
      namedStatements: options.namedStatements,
      busyTimeoutMs: SERVE_BUSY_TIMEOUT_MS,
      readPool: readPoolFor(options.readPoolSize, options.readPoolPerWorkspace, databaseTarget(options).dialect === 'postgres' ? (options.poolMax ?? DEFAULT_POOL_MAX) : undefined),
    }));
  const registry = createRegistry();
  const cursorKey = await serverKey(store, 'cursor_key');
  // Every limit (per workspace on /v1/mcp, the OAuth per-address and sign-in limits) keeps its
  // buckets in one place: Redis when given, else beside the data (Store.bucketDb).
  const redis = options.redisUrl ? await connectRedis(options.redisUrl, logger) : undefined;
  const buckets = redis ? createRedisBuckets(redis) : createDatabaseBuckets(store);
  const dependencies: ReadinessDependency[] = redis ? [{ name: 'redis', ping: () => redis.ping() }] : [];
  let startOAuth;
  try {
    startOAuth = await prepareOAuth(store, buckets, logger, { ...options.oauth, trustedProxies: options.trustedProxies });
  } catch (error) {
    redis?.disconnect();
    throw error;
  }

  const rateLimit = options.rateLimit === false ? false : (options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const rateLimits: McpRateLimits | undefined = rateLimit
    ? { workspace: createLimiter(buckets, 'workspace', rateLimit), credential: createLimiter(buckets, 'credential', rateLimit) }
    : undefined;

  // requestTimeout (seconds, a setting) bounds the whole request, headers and body; see HTTP_TIMEOUTS.
  const requestTimeout = options.requestTimeout === undefined ? HTTP_TIMEOUTS.requestMs : options.requestTimeout * 1000;
  const httpServer = createServer({
    keepAliveTimeout: HTTP_TIMEOUTS.keepAliveMs,
    requestTimeout,
    headersTimeout: Math.min(options.headersTimeoutMs ?? HTTP_TIMEOUTS.headersMs, requestTimeout),
    // Node checks both timeouts on this interval (30 s by default, which would stretch them).
    connectionsCheckingInterval: HTTP_TIMEOUTS.checkIntervalMs,
  });
  const closeHttp = gracefulClose(httpServer);
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 8787, host, () => resolve());
    });
  } catch (error) {
    redis?.disconnect();
    throw error;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const publicUrl = configuredUrl ?? new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  const base = publicUrl.origin;
  const resourceMetadataUrl = `${base}${RESOURCE_METADATA_PATH}`;

  const oauth = startOAuth({ publicUrl, resource: `${base}${MCP_PATH}` });
  const verify = async (token: string): Promise<Credential | null> =>
    looksLikeApiToken(token) ? verifyApiToken(store, token) : oauth.verify(token);
  const extraRoutes: RouteHandler[] = [oauth.route];
  httpServer.on(
    'request',
    createRouter({
      mcp: {
        store,
        preflight: createPreflight({ data: store, registry, cursorKey, rateLimits }),
        protocol: createProtocolHandler(registry, { name: 'conduit-mcp-server', version: SERVER_VERSION, instructions: INSTRUCTIONS }),
        verify,
        resourceMetadataUrl,
        maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
        logger,
        metrics: new Metrics(),
        sessions: options.sessions ? createSessionRegistry() : undefined,
      },
      dependencies,
      origin: createOriginPolicy({
        publicUrl,
        bindHost: host,
        port,
        extraHosts: options.allowedHosts,
        extraOrigins: options.allowedOrigins,
      }),
      resourceMetadata: {
        resource: `${base}${MCP_PATH}`,
        authorization_servers: [oauth.issuer],
        scopes_supported: ['mcp:read', 'mcp:write'],
        bearer_methods_supported: ['header'],
        resource_name: 'Conduit MCP',
      },
      extraRoutes,
      logger,
    }),
  );

  const delivery =
    options.delivery === false
      ? null
      : startDeliveryWorker(store, logger, {
          webhookUrl: options.deliveryWebhook,
          webhookSecret: options.deliverySecret,
          ...(options.deliveryClaimSeconds === undefined ? {} : { claimMs: options.deliveryClaimSeconds * 1000 }),
          ...options.delivery,
        });
  const prune = setInterval(() => {
    pruneIdempotencyKeys(store.db).catch((err: unknown) => logger.warn({ err }, 'idempotency key pruning failed'));
    if (!redis) pruneIdleBuckets(store.bucketDb()).catch((err: unknown) => logger.warn({ err }, 'rate-limit bucket pruning failed'));
    store.refreshStatistics().catch((err: unknown) => logger.warn({ err }, 'refreshing planner statistics failed'));
  }, PRUNE_INTERVAL_MS);
  prune.unref();

  return {
    store,
    url: base,
    mcpUrl: `${base}${MCP_PATH}`,
    httpServer,
    async close() {
      clearInterval(prune);
      oauth.close();
      await closeHttp();
      await delivery?.stop();
      // QUIT lets Redis answer what is in flight; disconnect() if it cannot (it is down).
      await redis?.quit().catch(() => redis.disconnect());
      if (!options.store) await store.close();
    },
  };
}
