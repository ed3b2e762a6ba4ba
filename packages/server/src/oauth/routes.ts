import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { RouteHandler } from '../http/router.js';
import { sendError } from '../http/respond.js';
import type { Store } from '../store/store.js';
import { handleInteraction, matchInteraction, type InteractionDeps } from './interactions.js';
import { errorPage } from './pages/error.js';
import { sendPage } from './pages/layout.js';
import { OAUTH_MOUNT } from './provider.js';
import { hit, type Limit } from './rate-limit.js';

/** Per-IP limits on the endpoints anyone can call without a credential. */
export interface OAuthRateLimits {
  registration: Limit;
  token: Limit;
  authorization: Limit;
}

export const DEFAULT_RATE_LIMITS: OAuthRateLimits = {
  registration: { max: 20, windowSeconds: 3600 },
  token: { max: 120, windowSeconds: 60 },
  authorization: { max: 60, windowSeconds: 60 },
};

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
  store: Store;
  publicUrl: URL;
  interactions: InteractionDeps;
  rateLimits: OAuthRateLimits;
  /** The client's address for per-IP limits (see clientIp). */
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

function limitFor(req: IncomingMessage, path: string, limits: OAuthRateLimits): [string, Limit] | null {
  if (req.method === 'POST' && path === `${OAUTH_MOUNT}/reg`) return ['registration', limits.registration];
  if (req.method === 'POST' && path.startsWith(`${OAUTH_MOUNT}/token`)) return ['token', limits.token];
  if (req.method === 'GET' && path === `${OAUTH_MOUNT}/auth`) return ['authorization', limits.authorization];
  return null;
}

async function rateLimited(req: IncomingMessage, res: ServerResponse, path: string, deps: OAuthRouteDeps): Promise<boolean> {
  const limit = limitFor(req, path, deps.rateLimits);
  if (!limit) return false;
  const [name, rule] = limit;
  const state = await hit(deps.store, `oauth:${name}:${deps.clientIp(req)}`, rule);
  if (state.count <= rule.max) return false;
  const headers = { 'retry-after': String(state.retryAfter) };
  if (name === 'authorization') {
    sendPage(res, 429, errorPage({ title: 'Too many requests', message: `Too many sign-in requests from your network. Try again in ${state.retryAfter} seconds.`, code: 'rate_limited' }), headers);
  } else {
    sendError(res, 429, 'rate_limited', `Too many ${name} requests from this address; retry after ${state.retryAfter} seconds.`, headers);
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
      if (await rateLimited(req, res, path, deps)) return true;
    }

    // Mount the provider at /oauth/mcp: it routes on the rest of the path and derives its mount
    // point from originalUrl/baseUrl (metadata served at the root is answered as if under it).
    const rest = wellKnown ?? (path.slice(OAUTH_MOUNT.length) || '/');
    const search = req.method === 'GET' && rest === '/auth' ? `?${withScopeDefaults(url.searchParams).toString()}` : url.search;
    Object.assign(req, { originalUrl: `${OAUTH_MOUNT}${rest}${search}`, baseUrl: OAUTH_MOUNT, url: `${rest}${search}` });
    await callback(req, res);
    return true;
  };
}
