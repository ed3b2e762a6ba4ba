import * as oidc from 'openid-client';
import * as z from 'zod/mini';
import { proxyFetch } from '../proxy-fetch.js';
import { CLI_VERSION } from '../version.js';
import { DiscoveryError } from './errors.js';
import { allowsInsecure } from './url.js';
import { parseBearerChallenge, type BearerChallenge } from './www-authenticate.js';

const PROTOCOL_VERSION = '2025-06-18';
const TIMEOUT_MS = 15_000;

/** RFC 9728 protected-resource metadata (the fields a client uses). */
const resourceMetadataSchema = z.object({
  resource: z.string(),
  authorization_servers: z.optional(z.array(z.string())),
  scopes_supported: z.optional(z.array(z.string())),
});

export interface ResourceDiscovery {
  /** The canonical MCP endpoint URL. */
  url: string;
  /** The RFC 8707 resource indicator to request tokens for. */
  resource: string;
  /** Where the RFC 9728 document was found; absent for a server without one (2025-03-26 fallback). */
  resourceMetadataUrl?: string;
  scopesSupported?: string[];
  /** The challenge of the 401 that started this discovery, if any. */
  challenge?: BearerChallenge;
  /** The authorization server's issuer identifier. */
  authorizationServer: string;
}

export interface AuthorizationServerDiscovery {
  metadata: oidc.ServerMetadata;
  /** The well-known URL the metadata came from (used again for registration). */
  metadataUrl: string;
}

/** What a request to the endpoint answered. */
export interface EndpointProbe {
  status: number;
  challenge: BearerChallenge | null;
  /** The error_description (or error, or the start of the text) of an error response. */
  detail?: string;
}

/**
 * Sends an `initialize` to the endpoint, unauthenticated unless `bearer` is given: a protected
 * server answers 401 with a WWW-Authenticate challenge naming its RFC 9728 metadata. A session the
 * server opens for it is closed again. Network failures are thrown as is.
 */
export async function probeEndpoint(url: string, bearer?: string): Promise<EndpointProbe> {
  const authorization: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
  const response = await proxyFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...authorization },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'conduit-mcp', version: CLI_VERSION } },
    }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const detail = response.ok ? undefined : await errorDetail(response);
  if (response.ok) await response.body?.cancel();
  const session = response.headers.get('mcp-session-id');
  if (session) {
    await proxyFetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL_VERSION, ...authorization }, signal: AbortSignal.timeout(TIMEOUT_MS) })
      .then((closed) => closed.body?.cancel())
      .catch(() => {});
  }
  return {
    status: response.status,
    challenge: response.status === 401 ? parseBearerChallenge(response.headers.get('www-authenticate')) : null,
    ...(detail ? { detail } : {}),
  };
}

async function errorDetail(response: Response): Promise<string | undefined> {
  const text = (await response.text().catch(() => '')).trim();
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown; message?: unknown };
    const described = [body.error_description, body.message, body.error].find((value) => typeof value === 'string' && value);
    // Without its closing full stop: callers put it inside their own sentence.
    if (typeof described === 'string') return described.replace(/\.$/, '');
  } catch {
    // not JSON: the text itself
  }
  return text ? text.slice(0, 200).replace(/\.$/, '') : undefined;
}

/**
 * Finds the resource's authorization server: the `resource_metadata` of the 401 challenge, else the
 * RFC 9728 well-known locations (path-specific first, then the root), else — for servers from before
 * RFC 9728 — the endpoint's own origin. The metadata's `resource` must name this endpoint (same
 * origin, path a prefix of the endpoint's), so a server cannot get tokens minted for another one.
 */
export async function discoverResource(url: string, challenge?: BearerChallenge | null): Promise<ResourceDiscovery> {
  let current = challenge ?? undefined;
  if (!current) {
    const probe = await probeEndpoint(url);
    current = probe.challenge ?? undefined;
  }
  const found = current?.resourceMetadata
    ? await fetchResourceMetadata(current.resourceMetadata, true)
    : await wellKnownResourceMetadata(url);
  if (!found) {
    return { url, resource: url, authorizationServer: new URL(url).origin, ...(current ? { challenge: current } : {}) };
  }
  const { document, metadataUrl } = found;
  if (!resourceMatches(document.resource, url)) {
    throw new DiscoveryError(
      'resource_mismatch',
      `The protected-resource metadata at ${metadataUrl} is for ${document.resource}, not ${url}; refusing to sign in so no token for ${url} is requested from a server it did not name.`,
    );
  }
  const authorizationServer = document.authorization_servers?.[0];
  if (!authorizationServer) {
    throw new DiscoveryError('no_authorization_server', `The protected-resource metadata at ${metadataUrl} names no authorization server; use an API token instead (conduit-mcp login --token-stdin).`);
  }
  return {
    url,
    resource: document.resource,
    resourceMetadataUrl: metadataUrl,
    ...(document.scopes_supported ? { scopesSupported: document.scopes_supported } : {}),
    ...(current ? { challenge: current } : {}),
    authorizationServer,
  };
}

/** Same origin, and the endpoint's path is the resource's path or lies under it. */
export function resourceMatches(resource: string, url: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(resource);
    b = new URL(url);
  } catch {
    return false;
  }
  if (a.origin !== b.origin) return false;
  const base = a.pathname.endsWith('/') ? a.pathname : `${a.pathname}/`;
  return b.pathname === a.pathname || `${b.pathname}/` === base || b.pathname.startsWith(base);
}

async function wellKnownResourceMetadata(url: string): Promise<{ document: z.infer<typeof resourceMetadataSchema>; metadataUrl: string } | null> {
  const endpoint = new URL(url);
  const candidates: string[] = [];
  if (endpoint.pathname !== '/') candidates.push(`${endpoint.origin}/.well-known/oauth-protected-resource${endpoint.pathname.replace(/\/$/, '')}`);
  candidates.push(`${endpoint.origin}/.well-known/oauth-protected-resource`);
  for (const candidate of candidates) {
    const found = await fetchResourceMetadata(candidate, false);
    if (found) return found;
  }
  return null;
}

async function fetchResourceMetadata(metadataUrl: string, required: boolean): Promise<{ document: z.infer<typeof resourceMetadataSchema>; metadataUrl: string } | null> {
  if (new URL(metadataUrl).protocol !== 'https:' && !allowsInsecure(metadataUrl)) {
    throw new DiscoveryError('insecure_url', `Refusing to fetch resource metadata over plain http from ${new URL(metadataUrl).origin}.`);
  }
  const response = await proxyFetch(metadataUrl, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) {
    await response.body?.cancel();
    if (!required) return null;
    throw new DiscoveryError('metadata_unavailable', `The server's protected-resource metadata at ${metadataUrl} answered HTTP ${response.status}.`);
  }
  const parsed = resourceMetadataSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) {
    if (!required) return null;
    throw new DiscoveryError('metadata_invalid', `The document at ${metadataUrl} is not valid protected-resource metadata (RFC 9728).`);
  }
  return { document: parsed.data, metadataUrl };
}

/**
 * The candidate metadata URLs for an issuer, in the MCP specification's order: RFC 8414 with the
 * path inserted, OpenID discovery with the path inserted, OpenID discovery with the path appended.
 */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  if (!path) return [`${url.origin}/.well-known/oauth-authorization-server`, `${url.origin}/.well-known/openid-configuration`];
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

/**
 * openid-client options shared by every call: requests through proxyFetch (so HTTPS_PROXY/NO_PROXY
 * apply), plain http only for loopback authorization servers.
 */
export function clientOptions(issuer: string): { execute: Array<(config: oidc.Configuration) => void>; timeout: number; [oidc.customFetch]: oidc.CustomFetch } {
  return { execute: allowsInsecure(issuer) ? [oidc.allowInsecureRequests] : [], timeout: TIMEOUT_MS / 1000, [oidc.customFetch]: proxyFetch };
}

/** Placeholder client id for the discovery call, which needs one before registration gives the real id. */
const DISCOVERY_CLIENT_ID = 'conduit-mcp-discovery';

/**
 * RFC 8414 / OpenID Connect discovery of the authorization server through openid-client, trying each
 * well-known location in order. The metadata's issuer must be the one we looked for; one lenience:
 * an issuer on the same origin is accepted, because deployments that mount the server under a path
 * sometimes publish the bare origin as issuer. The `iss` of the authorization response is still
 * checked against the published issuer.
 */
export async function discoverAuthorizationServer(issuer: string): Promise<AuthorizationServerDiscovery> {
  if (new URL(issuer).protocol !== 'https:' && !allowsInsecure(issuer)) {
    throw new DiscoveryError('insecure_url', `Refusing to use the authorization server ${issuer} over plain http.`);
  }
  const failures: string[] = [];
  for (const metadataUrl of authorizationServerMetadataUrls(issuer)) {
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(new URL(metadataUrl), DISCOVERY_CLIENT_ID, undefined, undefined, clientOptions(issuer));
    } catch (error) {
      if (isNetworkError(error)) throw error;
      failures.push(`${metadataUrl}: ${describe(error)}`);
      continue;
    }
    const metadata = config.serverMetadata();
    if (!sameIssuer(metadata.issuer, issuer)) {
      throw new DiscoveryError('issuer_mismatch', `The metadata at ${metadataUrl} names issuer ${metadata.issuer}, expected ${issuer}.`);
    }
    const methods = metadata.code_challenge_methods_supported;
    if (methods && !methods.includes('S256')) {
      throw new DiscoveryError('pkce_unsupported', `The authorization server ${issuer} does not support PKCE S256, which this client requires.`);
    }
    return { metadata: { ...metadata }, metadataUrl };
  }
  throw new DiscoveryError('metadata_unavailable', `No authorization server metadata found for ${issuer} (tried ${failures.join('; ')}).`);
}

function sameIssuer(published: string, expected: string): boolean {
  const strip = (value: string) => value.replace(/\/$/, '');
  if (strip(published) === strip(expected)) return true;
  try {
    return new URL(published).origin === new URL(expected).origin;
  } catch {
    return false;
  }
}

function isNetworkError(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return error instanceof TypeError && error.message === 'fetch failed' && cause !== undefined;
}

function describe(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) return `${error.error}${error.error_description ? ` (${error.error_description})` : ''}`;
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof Response) return `HTTP ${cause.status}`;
  return error instanceof Error ? error.message : String(error);
}
