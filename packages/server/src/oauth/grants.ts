import { rowKey, unseal } from '../store/sealed.js';
import type { Store } from '../store/store.js';

/**
 * OAuth grants as an administrator sees them: one per consent (a user, a client, the workspaces
 * picked and the scopes). Revoking a grant deletes it with every code and token issued under
 * it; the MCP endpoint looks tokens up on each request, so the client is cut off at once.
 *
 * A grant's id is never stored (see adapter.ts); `id` here is its reference, the first 16 hex
 * characters of the id's SHA-256, which is what `oauth revoke` takes.
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

const REF_LENGTH = 16;

/** The client's name: a client is sealed under its id, which the grant records (client ids are public). */
async function clientName(store: Store, clientId: string): Promise<string | null> {
  const row = await store.db.selectFrom('oauth_models').select('payload').where('model', '=', 'Client').where('id_hash', '=', rowKey(clientId)).executeTakeFirst();
  const json = row && unseal(clientId, 'Client', row.payload);
  if (!json) return null;
  const name = (JSON.parse(json) as { client_name?: unknown }).client_name;
  return typeof name === 'string' ? name : null;
}

export async function listGrants(store: Store): Promise<GrantInfo[]> {
  const grants = await store.db
    .selectFrom('oauth_grants as g')
    .leftJoin('users as u', 'u.id', 'g.user_id')
    .select(['g.grant_hash', 'g.client_id', 'g.scopes', 'g.created_at', 'g.expires_at', 'u.email'])
    .where((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', new Date().toISOString())]))
    .orderBy('g.created_at')
    .execute();
  const out: GrantInfo[] = [];
  for (const grant of grants) {
    const workspaces = await store.db
      .selectFrom('oauth_grant_workspaces as gw')
      .innerJoin('workspaces as w', 'w.id', 'gw.workspace_id')
      .select('w.slug')
      .where('gw.grant_hash', '=', grant.grant_hash)
      .orderBy('w.slug')
      .execute();
    out.push({
      id: grant.grant_hash.slice(0, REF_LENGTH),
      user_email: grant.email ?? null,
      client_id: grant.client_id,
      client_name: await clientName(store, grant.client_id),
      scopes: grant.scopes.split(' ').filter(Boolean),
      workspaces: workspaces.map((w) => w.slug),
      created_at: grant.created_at,
      expires_at: grant.expires_at,
    });
  }
  return out;
}

/**
 * Revokes grants by reference (as `listGrants` shows it; any unambiguous prefix of at least 8
 * characters), or every grant of one user; returns how many grants were revoked.
 */
export async function revokeGrants(store: Store, target: { grantId: string } | { userId: string }): Promise<number> {
  let hashes: string[];
  if ('grantId' in target) {
    const ref = target.grantId.toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(ref)) return 0;
    hashes = (await store.db.selectFrom('oauth_grants').select('grant_hash').where('grant_hash', 'like', `${ref}%`).execute()).map((row) => row.grant_hash);
    if (hashes.length > 1) throw new Error(`grant reference ${target.grantId} matches ${hashes.length} grants; give more of it (see \`oauth grants\`)`);
  } else {
    hashes = (await store.db.selectFrom('oauth_grants').select('grant_hash').where('user_id', '=', target.userId).execute()).map((row) => row.grant_hash);
  }
  if (hashes.length === 0) return 0;
  return store.db.transaction().execute(async (trx) => {
    const grants = await trx.deleteFrom('oauth_grants').where('grant_hash', 'in', hashes).executeTakeFirst();
    await trx.deleteFrom('oauth_models').where('grant_hash', 'in', hashes).execute();
    await trx.deleteFrom('oauth_grant_workspaces').where('grant_hash', 'in', hashes).execute();
    return Number(grants.numDeletedRows);
  });
}
