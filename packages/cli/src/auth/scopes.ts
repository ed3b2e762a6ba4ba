import type { ServerMetadata } from 'openid-client';
import type { ResourceDiscovery } from './discovery.js';

/**
 * The scope to request, per the MCP scope selection strategy: an explicit `--scope`; else the
 * `scope` of the 401/403 challenge; else everything the resource metadata lists; else none (the
 * parameter is omitted). `offline_access` is added when the authorization server offers it, so the
 * login comes with a refresh token.
 */
export function selectScope(explicit: string | undefined, discovery: ResourceDiscovery, as: ServerMetadata): string | undefined {
  const base = explicit?.trim() || discovery.challenge?.scope?.trim() || discovery.scopesSupported?.join(' ').trim();
  if (!base) return undefined;
  const scopes = splitScope(base);
  if (as.scopes_supported?.includes('offline_access') && !scopes.includes('offline_access')) scopes.push('offline_access');
  return scopes.join(' ');
}

export function splitScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter(Boolean))];
}

/** Whether every scope of `required` is in `granted`. */
export function hasScopes(granted: string | undefined, required: string | undefined): boolean {
  const have = new Set(splitScope(granted));
  return splitScope(required).every((scope) => have.has(scope));
}

export function unionScopes(...scopes: Array<string | undefined>): string {
  return splitScope(scopes.filter(Boolean).join(' ')).join(' ');
}
