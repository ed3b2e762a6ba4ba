import { sql, type Kysely } from 'kysely';
import { rowKey, seal } from './sealed.js';

/**
 * Migration 0006 on either dialect: the OAuth state moves to sealed rows (sealed.ts). The rows
 * written before could not be sealed without the ids they are found by, which were never stored,
 * so they are dropped: sign-ins in progress, browser sessions, grants and every code and token
 * issued under them. Every OAuth connection made before the upgrade ends and its client signs in
 * again once. Registered clients are kept (their id is in their payload), sealed, and count as used
 * now, so they expire after 90 days without use like any other (oauth/clients.ts).
 *
 * Frozen with the migration: the sealing context is the model name, as oauth/adapter.ts uses it.
 */
export async function sealOAuthState(db: Kysely<unknown>, ddl: readonly string[], now = new Date()): Promise<void> {
  const clients = await sql<{ payload: string }>`SELECT payload FROM oauth_models WHERE model = 'Client'`.execute(db);
  for (const statement of ddl) await sql.raw(statement).execute(db);
  const usedAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + 90 * 24 * 3600 * 1000).toISOString();
  for (const { payload } of clients.rows) {
    const clientId = (JSON.parse(payload) as { client_id?: unknown }).client_id;
    if (typeof clientId !== 'string') continue;
    await sql`INSERT INTO oauth_models (model, id_hash, payload, grant_hash, expires_at, consumed_at, used_at)
      VALUES ('Client', ${rowKey(clientId)}, ${seal(clientId, 'Client', payload)}, NULL, ${expiresAt}, NULL, ${usedAt})`.execute(db);
  }
}

/** The sealed OAuth tables, in the dialect's column types. */
export function sealedOAuthSchema(text: string, timestamp: string): string[] {
  return [
    `DROP TABLE oauth_grant_workspaces`,
    `DROP TABLE oauth_models`,
    `CREATE TABLE oauth_models (
      model ${text} NOT NULL, id_hash ${text} NOT NULL, payload ${text} NOT NULL, grant_hash ${text},
      expires_at ${text}, consumed_at ${text}, used_at ${text}, PRIMARY KEY (model, id_hash))`,
    `CREATE INDEX oauth_models_grant ON oauth_models (grant_hash) WHERE grant_hash IS NOT NULL`,
    `CREATE INDEX oauth_models_expiry ON oauth_models (expires_at) WHERE expires_at IS NOT NULL`,
    `CREATE TABLE oauth_grants (
      grant_hash ${text} PRIMARY KEY, user_id ${text} NOT NULL, client_id ${text} NOT NULL, scopes ${text} NOT NULL,
      created_at ${timestamp}, expires_at ${text})`,
    `CREATE INDEX oauth_grants_user ON oauth_grants (user_id)`,
    `CREATE TABLE oauth_grant_workspaces (
      grant_hash ${text} NOT NULL, workspace_id ${text} NOT NULL REFERENCES workspaces(id), PRIMARY KEY (grant_hash, workspace_id))`,
  ];
}
