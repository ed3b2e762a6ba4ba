import { Command } from 'commander';
import { createApiToken } from '../auth/api-tokens.js';
import { seedDemo } from '../demo/seed.js';
import { redactRedisUrl, validateRedisUrl } from '../limits/redis-connection.js';
import { createConduitServer } from '../server.js';
import { openStore } from '../store/open.js';
import { dataDirectoryWarning, SERVE_BUSY_TIMEOUT_MS } from '../store/sqlite/open.js';
import type { Store } from '../store/store.js';
import { withStoreOptions, type StoreOptions } from './context.js';

interface ServeOptions extends StoreOptions {
  host: string;
  port: string;
  publicUrl?: string;
  demo?: boolean;
  allowedHosts?: string;
  allowedOrigins?: string;
  trustedProxies?: string;
  deliveryWebhook?: string;
  deliveryClaimSeconds: string;
  sessions?: boolean;
  rateLimit: string;
  redisUrl?: string;
  requestTimeout: string;
}

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((v) => v.trim()).filter(Boolean);
}

/** Seeds demo data into an empty store and returns what to print, or why not. */
async function prepareDemo(store: Store): Promise<string[]> {
  const existing = await store.db.selectFrom('workspaces').select('slug').where('slug', '=', 'acme-hotels').executeTakeFirst();
  if (existing) {
    return [
      'Demo data already present (acme-hotels). Tokens are shown only once; create another with:',
      '  conduit-mcp-server tokens create --workspace acme-hotels --access read_write',
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

function rateLimitLine(perMinute: number, redisUrl: string | undefined): string {
  const where = redisUrl ? `Redis ${redactRedisUrl(redisUrl)}` : 'the database';
  // The OAuth and sign-in limits are always on, so their buckets live somewhere even with the workspace limit off.
  if (perMinute === 0) return `off per workspace; OAuth and sign-in buckets in ${where}`;
  return `${perMinute}/min per workspace, buckets in ${where}`;
}

export function serveCommand(): Command {
  return withStoreOptions(
    new Command('serve')
      .description('run the MCP server (POST /v1/mcp)')
      .option('--host <host>', 'interface to listen on (env HOST)', process.env.HOST ?? '127.0.0.1')
      .option('--port <port>', 'port to listen on, 0 for any free port (env PORT)', process.env.PORT ?? '8787')
      .option('--public-url <url>', 'URL clients reach this server at, e.g. https://mcp.example.com (env CONDUIT_PUBLIC_URL)', process.env.CONDUIT_PUBLIC_URL)
      .option('--allowed-hosts <hosts>', 'extra Host header values to accept, comma-separated (DNS-rebinding protection)')
      .option('--allowed-origins <origins>', 'extra browser Origins to accept, comma-separated')
      .option('--trusted-proxies <ips>', 'addresses of reverse proxies in front of the server, comma-separated: their X-Forwarded-For names the client for per-IP sign-in and OAuth limits (env CONDUIT_TRUSTED_PROXIES)', process.env.CONDUIT_TRUSTED_PROXIES)
      .option('--delivery-webhook <url>', 'POST each outbound message here, signed with HMAC-SHA256 using env CONDUIT_DELIVERY_SECRET (env CONDUIT_DELIVERY_WEBHOOK); without it sends are marked sent in the local log', process.env.CONDUIT_DELIVERY_WEBHOOK)
      .option('--delivery-claim-seconds <s>', 'how long a delivery attempt holds its message; one cut off by a crash is retried after this, so keep it above the webhook\'s response time (env CONDUIT_DELIVERY_CLAIM_SECONDS)', process.env.CONDUIT_DELIVERY_CLAIM_SECONDS ?? '60')
      .option('--rate-limit <n>', 'requests per minute per workspace, shared by all replicas on one database (or Redis); 0 turns it off (env CONDUIT_RATE_LIMIT)', process.env.CONDUIT_RATE_LIMIT ?? '120')
      .option('--redis-url <url>', 'keep every rate limit\'s buckets (per workspace, OAuth and sign-in) in this Redis instead of the database: redis://[:password@]host[:port][/db], rediss:// or unix:///path.sock; while it is down, requests get 503 (env REDIS_URL)', process.env.REDIS_URL || undefined)
      .option('--request-timeout <s>', 'seconds a client may take to send a whole request (its headers within 10 s); a slower one gets 408 and is disconnected (env CONDUIT_REQUEST_TIMEOUT)', process.env.CONDUIT_REQUEST_TIMEOUT ?? '30')
      .option('--sessions', 'issue Mcp-Session-Id sessions (default: stateless, so replicas need no sticky routing)')
      .option('--demo', 'on an empty database, create demo workspaces, a demo user and a read_write token, and print them'),
  ).action(async (opts: ServeOptions) => {
    if (opts.deliveryWebhook && !process.env.CONDUIT_DELIVERY_SECRET) {
      throw new Error('--delivery-webhook needs the signing secret in env CONDUIT_DELIVERY_SECRET');
    }
    const rateLimit = Number(opts.rateLimit);
    if (!Number.isInteger(rateLimit) || rateLimit < 0) throw new Error(`invalid --rate-limit "${opts.rateLimit}": a whole number of requests per minute, 0 for none`);
    const claimSeconds = Number(opts.deliveryClaimSeconds);
    if (!(claimSeconds > 0)) throw new Error(`invalid --delivery-claim-seconds "${opts.deliveryClaimSeconds}": a positive number of seconds`);
    const requestTimeout = Number(opts.requestTimeout);
    if (!Number.isInteger(requestTimeout) || requestTimeout < 1 || requestTimeout > 3600) {
      throw new Error(`invalid --request-timeout "${opts.requestTimeout}": a whole number of seconds from 1 to 3600`);
    }
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port "${opts.port}"`);
    // Before the database is opened, so a typo fails at once.
    if (opts.redisUrl) validateRedisUrl(opts.redisUrl);
    const store = await openStore({ dataDir: opts.dataDir, database: opts.database, busyTimeoutMs: SERVE_BUSY_TIMEOUT_MS });
    const exposed = dataDirectoryWarning(store);
    if (exposed) process.stderr.write(`${exposed}\n`);
    const demoLines = opts.demo ? await prepareDemo(store) : [];
    const server = await createConduitServer({
      store,
      host: opts.host,
      port,
      publicUrl: opts.publicUrl,
      allowedHosts: list(opts.allowedHosts),
      allowedOrigins: list(opts.allowedOrigins),
      oauth: { trustedProxies: list(opts.trustedProxies) },
      sessions: opts.sessions,
      rateLimit: rateLimit === 0 ? false : { limit: rateLimit, windowSeconds: 60 },
      redisUrl: opts.redisUrl,
      requestTimeoutMs: requestTimeout * 1000,
      delivery: { webhookUrl: opts.deliveryWebhook, webhookSecret: process.env.CONDUIT_DELIVERY_SECRET, claimMs: claimSeconds * 1000 },
    });
    const lines = [
      `Conduit MCP server ${server.mcpUrl}`,
      `  database: ${store.location}`,
      `  delivery: ${opts.deliveryWebhook ? `webhook ${new URL(opts.deliveryWebhook).origin}` : 'local log (no --delivery-webhook)'}`,
      `  rate limit: ${rateLimitLine(rateLimit, opts.redisUrl)}`,
      ...demoLines,
      'Connect:',
      `  npx conduit-mcp login --url ${server.mcpUrl}   (then add \`npx conduit-mcp --url ${server.mcpUrl}\` to your MCP client)`,
      `  or any MCP client with header  Authorization: Bearer <capi_ token>`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);

    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${signal}: shutting down\n`);
      // Stop accepting, finish in-flight requests, then close the database.
      server
        .close()
        .then(() => store.close())
        .then(() => process.exit(0))
        .catch(() => process.exit(1));
      setTimeout(() => process.exit(1), 10_000).unref();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
