import type { TokenAccess } from '../store/schema.js';

export type Scope = 'mcp:read' | 'mcp:write';

/**
 * Who is calling, after the bearer token was verified. Both token kinds (API tokens and
 * OAuth access tokens) reduce to this, so tools never care which one was used.
 */
export interface Credential {
  kind: 'api_token' | 'oauth';
  /** API token id, or an OAuth grant's reference (as `oauth grants` lists it): for logs, limits and audit, never a secret. */
  id: string;
  /** The user an OAuth token was issued to; null for API tokens. */
  userId: string | null;
  access: TokenAccess;
  scopes: readonly Scope[];
  /** Workspaces this credential was granted (ids). */
  workspaceIds: ReadonlySet<string>;
}

export function canWrite(credential: Credential): boolean {
  return credential.access === 'read_write' && credential.scopes.includes('mcp:write');
}
