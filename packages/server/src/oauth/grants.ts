import type { Store } from '../store/store.js';
import { sha256Hex } from './adapter.js';

/**
 * OAuth grants as an administrator sees them: one per consent (a user, a client, the workspaces
 * picked and the scopes). Revoking a grant deletes it with every code and token issued under
 * it; the MCP endpoint looks tokens up on each request, so the client is cut off at once.
 */
export interface GrantInfo {
  id: string;
  user_email: string | null;
  client_id: string;
  client_name: string | null;
  scopes: string[];
  workspaces: string[];
  created_at: string;
  expires_at: string | null;
}

interface GrantPayload {
  accountId: string;
  clientId: string;
  iat: number;
  resources?: Record<string, string>;
}

interface ClientPayload {
  client_name?: string;
}

export async function listGrants(store: Store): Promise<GrantInfo[]> {
  const grants = await store.db
    .selectFrom('oauth_models')
    .select(['grant_id', 'payload', 'expires_at'])
    .where('model', '=', 'Grant')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date().toISOString())]))
    .execute();
  const out: GrantInfo[] = [];
  for (const row of grants) {
    const grant = JSON.parse(row.payload) as GrantPayload;
    const [user, client, workspaces] = await Promise.all([
      store.db.selectFrom('users').select('email').where('id', '=', grant.accountId).executeTakeFirst(),
      store.db.selectFrom('oauth_models').select('payload').where('model', '=', 'Client').where('id_hash', '=', sha256Hex(grant.clientId)).executeTakeFirst(),
      store.db
        .selectFrom('oauth_grant_workspaces as g')
        .innerJoin('workspaces as w', 'w.id', 'g.workspace_id')
        .select('w.slug')
        .where('g.grant_id', '=', row.grant_id ?? '')
        .orderBy('w.slug')
        .execute(),
    ]);
    out.push({
      id: row.grant_id ?? '',
      user_email: user?.email ?? null,
      client_id: grant.clientId,
      client_name: client ? ((JSON.parse(client.payload) as ClientPayload).client_name ?? null) : null,
      scopes: [...new Set(Object.values(grant.resources ?? {}).flatMap((scope) => scope.split(' ')))].sort(),
      workspaces: workspaces.map((w) => w.slug),
      created_at: new Date(grant.iat * 1000).toISOString(),
      expires_at: row.expires_at,
    });
  }
  return out.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** Revokes grants by id, or every grant of one user; returns how many grants were revoked. */
export async function revokeGrants(store: Store, target: { grantId: string } | { userId: string }): Promise<number> {
  const ids = 'grantId' in target ? [target.grantId] : await listGrantIdsOfUser(store, target.userId);
  if (ids.length === 0) return 0;
  return store.db.transaction().execute(async (trx) => {
    const grants = await trx.deleteFrom('oauth_models').where('model', '=', 'Grant').where('grant_id', 'in', ids).executeTakeFirst();
    await trx.deleteFrom('oauth_models').where('grant_id', 'in', ids).execute();
    await trx.deleteFrom('oauth_grant_workspaces').where('grant_id', 'in', ids).execute();
    return Number(grants.numDeletedRows);
  });
}

async function listGrantIdsOfUser(store: Store, userId: string): Promise<string[]> {
  const rows = await store.db.selectFrom('oauth_models').select(['grant_id', 'payload']).where('model', '=', 'Grant').execute();
  return rows.filter((row) => (JSON.parse(row.payload) as GrantPayload).accountId === userId).map((row) => row.grant_id ?? '');
}
