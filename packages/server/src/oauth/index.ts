import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { BearerVerifier } from '../http/mcp-endpoint.js';
import type { RouteHandler } from '../http/router.js';
import type { Store } from '../store/store.js';
import { createLimiter, type BucketStore } from '../limits/policy.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimiters, type LoginLimits } from './accounts.js';
import { pruneOAuthState } from './adapter.js';
import { createCsrfTokens } from './csrf.js';
import { loadOAuthKeys } from './keys.js';
import { clientIp } from './client-ip.js';
import { DEFAULT_MAX_CLIENTS } from './clients.js';
import { createProvider, loadOidcProvider, OAUTH_MOUNT } from './provider.js';
import { createOAuthRoute, DEFAULT_RATE_LIMITS, type OAuthLimiters, type OAuthRateLimits } from './routes.js';
import { createOAuthVerifier } from './verifier.js';

export { OAUTH_MOUNT } from './provider.js';

export interface OAuthOptions {
  rateLimits?: Partial<OAuthRateLimits>;
  loginLimits?: Partial<LoginLimits>;
  /** Addresses of reverse proxies whose X-Forwarded-For names the client for per-address limits. */
  trustedProxies?: string[];
  /** Most registered clients at once (default 10,000; see clients.ts). */
  maxClients?: number;
}

export interface OAuthServer {
  /** `<public-url>/oauth/mcp` */
  readonly issuer: string;
  /** Mounts /oauth/mcp and the authorization server metadata documents. */
  readonly route: RouteHandler;
  /** Verifies OAuth access tokens presented to the MCP endpoint. */
  readonly verify: BearerVerifier;
  close(): void;
}

export interface OAuthStartOptions {
  publicUrl: URL;
  /** The MCP endpoint URL: the resource (audience) every token is minted for. */
  resource: string;
}

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Loads what the authorization server needs from the database (keys) and returns a function
 * that starts it once the public URL is known: with `--port 0` that is only after listen, and
 * the issuer must be derived from it. The returned function is synchronous so no request can
 * arrive between listening and the routes being in place.
 */
export async function prepareOAuth(store: Store, buckets: BucketStore, logger: Logger, options: OAuthOptions = {}): Promise<(start: OAuthStartOptions) => OAuthServer> {
  const [lib, keys] = await Promise.all([loadOidcProvider(), loadOAuthKeys(store)]);
  const rateLimits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const loginLimits = { ...DEFAULT_LOGIN_LIMITS, ...options.loginLimits };
  const limiters: OAuthLimiters = {
    registration: createLimiter(buckets, 'registration', rateLimits.registration),
    token: createLimiter(buckets, 'token', rateLimits.token),
    authorization: createLimiter(buckets, 'authorization', rateLimits.authorization),
  };
  const loginLimiters: LoginLimiters = {
    account: createLimiter(buckets, 'sign-in-account', loginLimits.perEmail),
    address: createLimiter(buckets, 'sign-in-address', loginLimits.perIp),
  };
  const trustedProxies = new Set((options.trustedProxies ?? []).map((ip) => ip.toLowerCase()));
  const ipOf = (req: IncomingMessage) => clientIp(req, trustedProxies);
  return ({ publicUrl, resource }) => {
    const issuer = `${publicUrl.origin}${OAUTH_MOUNT}`;
    const provider = createProvider(lib, { store, keys, logger, issuer, resource });
    const csrf = createCsrfTokens(keys.csrfKey, { path: `${OAUTH_MOUNT}/interaction`, secure: publicUrl.protocol === 'https:' });
    const clients = { store, maxClients: options.maxClients ?? DEFAULT_MAX_CLIENTS };
    const route = createOAuthRoute({ provider, publicUrl, limiters, clients, clientIp: ipOf, interactions: { provider, store, csrf, loginLimiters, logger, clientIp: ipOf } });
    const prune = setInterval(() => {
      pruneOAuthState(store).catch((err: unknown) => logger.warn({ err }, 'oauth state pruning failed'));
    }, PRUNE_INTERVAL_MS);
    prune.unref();
    return {
      issuer,
      route,
      verify: createOAuthVerifier(provider, store, resource),
      close: () => clearInterval(prune),
    };
  };
}
