import { DEFAULT_MCP_URL } from './defaults.js';
import { DiscoveryError } from './errors.js';

export { DEFAULT_MCP_URL };

/** `--url`, else `CONDUIT_MCP_URL`, else the hosted endpoint; always in canonical form. */
export function resolveServerUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return canonicalUrl(flag ?? env.CONDUIT_MCP_URL ?? DEFAULT_MCP_URL);
}

/**
 * The canonical form of an MCP endpoint URL, used as the storage key and (absent RFC 9728 metadata)
 * as the RFC 8707 resource: lower-case scheme and host (URL does that), no fragment, no trailing
 * slash on a non-root path. Plain http is accepted only for loopback hosts.
 */
export function canonicalUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DiscoveryError('invalid_url', `"${input}" is not a valid URL (expected e.g. ${DEFAULT_MCP_URL}).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DiscoveryError('invalid_url', `"${input}" must be an http(s) URL.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new DiscoveryError('insecure_url', `Refusing to send credentials to ${url.origin} over plain http: use https (plain http is allowed only for localhost).`);
  }
  if (url.username || url.password) throw new DiscoveryError('invalid_url', 'The server URL must not contain a user name or password.');
  url.hash = '';
  let text = url.href;
  if (url.pathname !== '/' && text.endsWith('/') && !url.search) text = text.slice(0, -1);
  return text;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Whether `url` may be fetched over plain http (loopback only). */
export function allowsInsecure(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}
