import type Provider from 'oidc-provider';
import type { Credential, Scope } from '../core/credential.js';
import type { BearerVerifier } from '../http/mcp-endpoint.js';
import { roleCanWrite } from '../store/schema.js';
import { rowKey } from '../store/sealed.js';
import { grantRef } from './adapter.js';
import type { Store } from '../store/store.js';
import { MCP_SCOPES } from './provider.js';

/**
 * Verifies OAuth access tokens for the MCP endpoint. Tokens are opaque and looked up in the
 * database on every request, so revoking a token or its grant (RFC 7009, refresh-token reuse,
 * an admin) takes effect on the next request. Returns null for an unknown, expired or revoked
 * token and for a token minted for another resource (audience).
 */
export function createOAuthVerifier(provider: Provider, store: Store, resource: string): BearerVerifier {
  return async (token) => {
    // oidc-provider's opaque tokens are 43 base64url characters; anything else is not ours.
    if (!/^[A-Za-z0-9_-]{20,128}$/.test(token)) return null;
    const accessToken = await provider.AccessToken.find(token);
    if (!accessToken) return null;
    const audiences = Array.isArray(accessToken.aud) ? accessToken.aud : [accessToken.aud];
    if (!audiences.includes(resource)) return null;
    const grant = await provider.Grant.find(accessToken.grantId);
    if (!grant || grant.accountId !== accessToken.accountId || grant.clientId !== accessToken.clientId) return null;
    const user = await store.db.selectFrom('users').select('id').where('id', '=', accessToken.accountId).executeTakeFirst();
    if (!user) return null;

    // Granted workspaces the user still belongs to: removing a member revokes their clients' access too.
    const workspaces = await store.db
      .selectFrom('oauth_grant_workspaces as g')
      .innerJoin('memberships as m', (join) => join.onRef('m.workspace_id', '=', 'g.workspace_id').on('m.user_id', '=', accessToken.accountId))
      .select(['g.workspace_id', 'm.role'])
      .where('g.grant_hash', '=', rowKey(accessToken.grantId))
      .execute();
    // Write access needs mcp:write and, today, a role that may write in every granted workspace:
    // a member whose role is changed to a read-only one loses write access at once.
    const rolesAllowWrite = workspaces.every((w) => roleCanWrite(w.role));
    const scopes = (accessToken.scope ?? '')
      .split(' ')
      .filter((scope): scope is Scope => (MCP_SCOPES as readonly string[]).includes(scope) && (scope !== 'mcp:write' || rolesAllowWrite));
    const credential: Credential = {
      kind: 'oauth',
      // The grant's reference, as `oauth grants` shows it: the grant id itself is never stored.
      id: grantRef(accessToken.grantId),
      userId: accessToken.accountId,
      access: scopes.includes('mcp:write') ? 'read_write' : 'read_only',
      scopes,
      workspaceIds: new Set(workspaces.map((w) => w.workspace_id)),
    };
    return credential;
  };
}
