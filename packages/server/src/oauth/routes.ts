import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { RouteHandler } from '../http/router.js';
import { sendError } from '../http/respond.js';
import { rateLimitHeaders, RateLimiterUnavailableError, type RateLimiter, type RateLimitPolicy } from '../limits/policy.js';
import { handleInteraction, matchInteraction, type InteractionDeps } from './interactions.js';
import { errorPage } from './pages/error.js';
import { sendPage } from './pages/layout.js';
import { OAUTH_MOUNT } from './provider.js';
import type { Store } from '../store/store.js';
import { addressSubject } from './client-ip.js';
import { makeRoomForClient } from './clients.js';

/** Per-address limits on the endpoints anyone can call without a credential. */
export interface OAuthRateLimits {
  registration: RateLimitPolicy;
  token: RateLimitPolicy;
  authorization: RateLimitPolicy;
}

export const DEFAULT_RATE_LIMITS: OAuthRateLimits = {
  registration: { limit: 20, windowSeconds: 3600 },
  token: { limit: 120, windowSeconds: 60 },
  authorization: { limit: 60, windowSeconds: 60 },
};

export type OAuthLimiters = Record<keyof OAuthRateLimits, RateLimiter>;

/**
 * RFC 8414 metadata is served where clients look for an issuer with a path
 * (`/.well-known/oauth-authorization-server/oauth/mcp`), in the OpenID form of both
 * placements, and at the root for clients that predate path insertion.
 */
const WELL_KNOWN: ReadonlyMap<string, string> = new Map([
  [`/.well-known/oauth-authorization-server${OAUTH_MOUNT}`, '/.well-known/oauth-authorization-server'],
  [`/.well-known/openid-configuration${OAUTH_MOUNT}`, '/.well-known/openid-configuration'],
  ['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server'],
]);

export interface OAuthRouteDeps {
  provider: Provider;
  publicUrl: URL;
  interactions: InteractionDeps;
  limiters: OAuthLimiters;
  /** Where registered clients are counted, and how many may be live at once (see clients.ts). */
  clients: { store: Store; maxClients: number };
  /** The client's address for per-address limits (see clientIp). */
  clientIp: (req: IncomingMessage) => string;
}

/**
 * Default scope policy applied to authorization requests before oidc-provider sees them:
 * mcp:read is always requested (it is the default when a client asks for nothing, and write
 * implies read), and offline_access is honoured without the OpenID `prompt=consent` rule,
 * since every authorization here shows the consent page anyway.
 */
export function withScopeDefaults(search: URLSearchParams): URLSearchParams {
  const params = new URLSearchParams(search);
  const scopes = (params.get('scope') ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('mcp:read')) scopes.unshift('mcp:read');
  params.set('scope', scopes.join(' '));
  const prompts = (params.get('prompt') ?? '').split(' ').filter(Boolean);
  if (scopes.includes('offline_access') && !prompts.includes('consent') && !prompts.includes('none')) {
    params.set('prompt', [...prompts, 'consent'].join(' '));
  }
  return params;
}

interface ProviderRoute {
  methods: readonly string[];
  /** The per-address limit charged before the provider runs it, for these methods. */
  limit?: { name: keyof OAuthRateLimits; methods: readonly string[] };
}

const GET = ['GET', 'HEAD'];
const CORS_GET = [...GET, 'OPTIONS'];

/**
 * Every oidc-provider route this server uses, by its canonical path under the mount. The
 * provider routes case-insensitively and ignores one trailing slash, so a limit decided on the
 * path as spelled could be dodged (`/REG`, `/reg/`): a request is matched here the way the
 * provider would match it, and the provider is then handed the canonical path, so the route
 * that runs is the route that was charged. Anything else never reaches the provider.
 */
const PROVIDER_ROUTES: ReadonlyMap<string, ProviderRoute> = new Map([
  ['/auth', { methods: GET, limit: { name: 'authorization', methods: GET } }],
  ['/token', { methods: ['POST', 'OPTIONS'], limit: { name: 'token', methods: ['POST'] } }],
  ['/token/revocation', { methods: ['POST', 'OPTIONS'], limit: { name: 'token', methods: ['POST'] } }],
  ['/reg', { methods: ['POST'], limit: { name: 'registration', methods: ['POST'] } }],
  ['/jwks', { methods: CORS_GET }],
  ['/.well-known/oauth-authorization-server', { methods: CORS_GET }],
  ['/.well-known/openid-configuration', { methods: CORS_GET }],
]);

/** `/auth/<uid>`: where the provider resumes an authorization once an interaction is finished. */
const RESUME = /^\/auth\/([A-Za-z0-9_-]{1,64})$/i;
const RESUME_ROUTE: ProviderRoute = { methods: GET };

/** The canonical path and route for a path under the mount, or null when the provider has no such route. */
export function providerRoute(rest: string): { path: string; route: ProviderRoute } | null {
  const trimmed = rest.length > 1 && rest.endsWith('/') ? rest.slice(0, -1) : rest;
  // Non-ASCII never folds to an ASCII route name in the provider's router either.
  if (!/^[\x21-\x7e]+$/.test(trimmed)) return null;
  const lower = trimmed.toLowerCase();
  const route = PROVIDER_ROUTES.get(lower);
  if (route) return { path: lower, route };
  const resume = RESUME.exec(trimmed);
  if (resume) return { path: `/auth/${resume[1]}`, route: RESUME_ROUTE };
  return null;
}

/** Charges the route's per-address limit; answers the request (429 or 503) and returns true when it must not run. */
async function rateLimited(req: IncomingMessage, res: ServerResponse, route: ProviderRoute, deps: OAuthRouteDeps): Promise<boolean> {
  const rule = route.limit;
  if (!rule || !rule.methods.includes(req.method ?? '')) return false;
  const limiter = deps.limiters[rule.name];
  const page = rule.name === 'authorization';
  let decision;
  try {
    decision = await limiter.take(addressSubject(deps.clientIp(req)));
  } catch (error) {
    if (!(error instanceof RateLimiterUnavailableError)) throw error;
    // Fail closed, as on /v1/mcp: a limit that silently stops holding is worse than a short outage.
    deps.interactions.logger.warn({ limit: limiter.name, reason: error.message }, 'rate limiter unavailable');
    const headers = { 'retry-after': '1' };
    if (page) sendPage(res, 503, errorPage({ title: 'Sign-in is briefly unavailable', message: 'Please try again in a moment.', code: 'rate_limiter_unavailable' }), headers);
    else sendError(res, 503, 'temporarily_unavailable', 'The rate limiter did not answer; nothing was done. Retry shortly.', headers);
    return true;
  }
  if (decision.allowed) return false;
  const headers = rateLimitHeaders(limiter, decision);
  if (page) {
    sendPage(res, 429, errorPage({ title: 'Too many requests', message: `Too many sign-in requests from your network. Try again in ${decision.retryAfter} seconds.`, code: 'rate_limited' }), headers);
  } else {
    sendError(res, 429, 'rate_limited', `Too many ${rule.name} requests from this address; retry after ${decision.retryAfter} seconds.`, headers);
  }
  return true;
}

export function createOAuthRoute(deps: OAuthRouteDeps): RouteHandler {
  const callback = deps.provider.callback();
  const proto = deps.publicUrl.protocol.slice(0, -1);
  return async (req, res, url) => {
    const path = url.pathname;
    const wellKnown = WELL_KNOWN.get(path);
    if (!wellKnown && path !== OAUTH_MOUNT && !path.startsWith(`${OAUTH_MOUNT}/`)) return false;

    // oidc-provider builds its URLs (metadata, redirects) from the request: make them the public
    // URL whatever Host the browser used, and secure cookies when the public URL is https.
    req.headers['x-forwarded-host'] = deps.publicUrl.host;
    req.headers['x-forwarded-proto'] = proto;

    if (!wellKnown) {
      const interaction = matchInteraction(path);
      if (interaction) {
        await handleInteraction(req, res, deps.interactions, interaction.uid, interaction.step);
        return true;
      }
    }
    const matched = providerRoute(wellKnown ?? path.slice(OAUTH_MOUNT.length));
    if (!matched) {
      sendError(res, 404, 'not_found', `No route for ${req.method} ${path}.`);
      return true;
    }
    if (!matched.route.methods.includes(req.method ?? '')) {
      const allow = matched.route.methods.join(', ');
      sendError(res, 405, 'method_not_allowed', `${path} accepts ${allow} only.`, { allow });
      return true;
    }
    if (await rateLimited(req, res, matched.route, deps)) return true;
    const rest = matched.path;
    if (rest === '/reg' && req.method === 'POST' && !(await makeRoomForClient(deps.clients.store.db, deps.clients.maxClients))) {
      deps.interactions.logger.warn({ max_clients: deps.clients.maxClients }, 'client registration refused: every registered client is in use');
      sendError(res, 503, 'temporarily_unavailable', 'This server holds as many registered clients as it allows; try again later.', { 'retry-after': '3600' });
      return true;
    }

    // Mount the provider at /oauth/mcp: it routes on the rest of the path and derives its mount
    // point from originalUrl/baseUrl (metadata served at the root is answered as if under it).
    const search = rest === '/auth' ? `?${withScopeDefaults(url.searchParams).toString()}` : url.search;
    Object.assign(req, { originalUrl: `${OAUTH_MOUNT}${rest}${search}`, baseUrl: OAUTH_MOUNT, url: `${rest}${search}` });
    await callback(req, res);
    return true;
  };
}
