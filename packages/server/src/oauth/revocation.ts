import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/**
 * What an administrator's change to a user takes away from their OAuth connections and sign-ins.
 * Each function runs on the connection it is given, so a command does it in the same transaction
 * as the change itself; the MCP endpoint and the authorization endpoint read this state on every
 * request, so each takes effect on the next one.
 */

async function grantHashesOf(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('oauth_grants').select('grant_hash').where('user_id', '=', userId).execute();
  return rows.map((row) => row.grant_hash);
}

/** Deletes the user's grants with every code and token issued under them; returns how many grants. */
export async function revokeGrantsOfUser(db: Kysely<Database>, userId: string): Promise<number> {
  const hashes = await grantHashesOf(db, userId);
  if (hashes.length === 0) return 0;
  await db.deleteFrom('oauth_models').where('grant_hash', 'in', hashes).execute();
  await db.deleteFrom('oauth_grant_workspaces').where('grant_hash', 'in', hashes).execute();
  await db.deleteFrom('oauth_grants').where('grant_hash', 'in', hashes).execute();
  return hashes.length;
}

/**
 * Takes a workspace out of every grant of the user, for good: adding them back to the workspace
 * later does not give their old connections access to it again. Returns how many grants had it.
 */
export async function withdrawWorkspaceFromGrants(db: Kysely<Database>, userId: string, workspaceId: string): Promise<number> {
  const hashes = await grantHashesOf(db, userId);
  if (hashes.length === 0) return 0;
  const result = await db.deleteFrom('oauth_grant_workspaces').where('grant_hash', 'in', hashes).where('workspace_id', '=', workspaceId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Ends every sign-in of the user: browser sessions are stored sealed under their cookie (see
 * adapter.ts), so they cannot be looked up by user; instead the user row records the time, and the
 * authorization endpoint asks for the password again for a sign-in made before it
 * (`signInStillValid`).
 */
export async function endSignIns(db: Kysely<Database>, userId: string, now = new Date()): Promise<void> {
  await db.updateTable('users').set({ signed_out_at: now.toISOString() }).where('id', '=', userId).execute();
}

/**
 * Whether a browser's sign-in (`loginTs`, in whole seconds, as oidc-provider keeps it) still
 * stands: its user exists and was not signed out after it. A sign-in in the same second as the
 * sign-out counts as before it (one more password prompt rather than a session that outlives it).
 */
export async function signInStillValid(db: Kysely<Database>, accountId: string, loginTs: number | undefined): Promise<boolean> {
  const user = await db.selectFrom('users').select('signed_out_at').where('id', '=', accountId).executeTakeFirst();
  if (!user) return false;
  if (!user.signed_out_at) return true;
  return loginTs !== undefined && loginTs > Math.floor(Date.parse(user.signed_out_at) / 1000);
}
