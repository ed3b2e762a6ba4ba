import * as z from 'zod/mini';
import { proxyFetch } from '../proxy-fetch.js';
import { canonicalUrl, isLoopbackHost } from './url.js';

/** The path Conduit servers (hosted and self-hosted) serve MCP on. */
export const MCP_PATH = '/v1/mcp';

const TIMEOUT_MS = 5_000;
const resourceMetadata = z.object({ resource: z.string() });

export interface EndpointHint {
  /** The endpoint URL to use instead. */
  url: string;
  /** "metadata": the server names it in its RFC 9728 metadata; "convention": the usual path, unconfirmed. */
  source: 'metadata' | 'convention';
}

/**
 * The MCP endpoint a user probably meant when `url` is not one (HTTP 404, a bare host, `/mcp`):
 * the resource the server names in its root protected-resource metadata when that is the same
 * server, else `<origin>/v1/mcp`. Undefined when `url` already is that address.
 */
export async function suggestEndpoint(url: string): Promise<EndpointHint | undefined> {
  const named = await namedResource(url);
  if (named && sameServer(named, url) && named !== url) return { url: named, source: 'metadata' };
  const conventional = `${new URL(url).origin}${MCP_PATH}`;
  return conventional === url ? undefined : { url: conventional, source: 'convention' };
}

/**
 * Whether two URLs reach the same server: same scheme and port, and the same host or two loopback
 * names for this machine (`localhost` and `127.0.0.1`).
 */
export function sameServer(a: string, b: string): boolean {
  const x = new URL(a);
  const y = new URL(b);
  if (x.protocol !== y.protocol || x.port !== y.port) return false;
  return x.hostname === y.hostname || (isLoopbackHost(x.hostname) && isLoopbackHost(y.hostname));
}

async function namedResource(url: string): Promise<string | undefined> {
  try {
    const response = await proxyFetch(`${new URL(url).origin}/.well-known/oauth-protected-resource`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const parsed = resourceMetadata.safeParse(await response.json().catch(() => null));
    return parsed.success ? canonicalUrl(parsed.data.resource) : undefined;
  } catch {
    return undefined;
  }
}
