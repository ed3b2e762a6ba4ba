import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { rowKey } from '../store/sealed.js';

/**
 * Registered clients are bounded three ways, because anyone may register one (RFC 7591, no
 * initial access token: MCP clients register themselves):
 * - size: registration metadata is capped field by field and in total;
 * - time: a client never used (no code or token issued to it) expires a day after registering,
 *   and a used one after 90 days without use (its refresh tokens, which slide 30 days, are dead
 *   long before);
 * - number: at most `maxClients` live clients; a registration beyond that first evicts the oldest
 *   never-used client, and is refused (503) when every client is in use.
 */

const DAY_MS = 24 * 3600 * 1000;
export const NEVER_USED_CLIENT_MS = DAY_MS;
export const UNUSED_CLIENT_MS = 90 * DAY_MS;
export const DEFAULT_MAX_CLIENTS = 10_000;

/** Caps on registration metadata, in characters (JSON as stored). */
export const CLIENT_METADATA_LIMITS = {
  total: 16 * 1024,
  name: 200,
  uri: 2000,
  redirectUris: 10,
  contacts: 10,
} as const;

const URI_FIELDS = ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri', 'jwks_uri', 'sector_identifier_uri', 'initiate_login_uri'];

/** Why registration metadata is too large, or null. */
export function clientMetadataProblem(metadata: Record<string, unknown>): string | null {
  const limits = CLIENT_METADATA_LIMITS;
  const name = metadata.client_name;
  if (typeof name === 'string' && name.length > limits.name) return `client_name must be at most ${limits.name} characters`;
  for (const field of URI_FIELDS) {
    const value = metadata[field];
    if (typeof value === 'string' && value.length > limits.uri) return `${field} must be at most ${limits.uri} characters`;
  }
  for (const field of ['redirect_uris', 'post_logout_redirect_uris']) {
    const uris = metadata[field];
    if (!Array.isArray(uris)) continue;
    // "redirect_uris…" is how oidc-provider tells invalid_redirect_uri from invalid_client_metadata.
    if (uris.length > limits.redirectUris) return `${field} must list at most ${limits.redirectUris} URIs`;
    if (uris.some((uri) => typeof uri === 'string' && uri.length > limits.uri)) return `${field} must each be at most ${limits.uri} characters`;
  }
  if (Array.isArray(metadata.contacts) && metadata.contacts.length > limits.contacts) return `contacts must list at most ${limits.contacts} addresses`;
  if (JSON.stringify(metadata).length > limits.total) return `client metadata must be at most ${limits.total} characters in all`;
  return null;
}

/** A code or token was issued to the client: it is in use, and lives another 90 days. Writes at most once a day per client. */
export async function markClientUsed(db: Kysely<Database>, clientId: string, now = new Date()): Promise<void> {
  const nowIso = now.toISOString();
  await db
    .updateTable('oauth_models')
    .set({ used_at: nowIso, expires_at: new Date(now.getTime() + UNUSED_CLIENT_MS).toISOString() })
    .where('model', '=', 'Client')
    .where('id_hash', '=', rowKey(clientId))
    .where((eb) => eb.or([eb('used_at', 'is', null), eb('used_at', '<', new Date(now.getTime() - DAY_MS).toISOString())]))
    .execute();
}

/**
 * Makes room for one more client under `maxClients`: evicts the oldest never-used clients as
 * needed. Returns false when the live clients are all in use and at the bound. Concurrent
 * registrations may overshoot the bound by their number, never more.
 */
export async function makeRoomForClient(db: Kysely<Database>, maxClients: number, now = new Date()): Promise<boolean> {
  const liveClients = () =>
    db
      .selectFrom('oauth_models')
      .where('model', '=', 'Client')
      .where((eb: ExpressionBuilder<Database, 'oauth_models'>) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now.toISOString())]));
  const { n } = await liveClients()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const excess = Number(n) - maxClients + 1;
  if (excess <= 0) return true;
  const oldest = await liveClients().where('used_at', 'is', null).select('id_hash').orderBy('expires_at').limit(excess).execute();
  if (oldest.length > 0) {
    await db
      .deleteFrom('oauth_models')
      .where('model', '=', 'Client')
      .where('id_hash', 'in', oldest.map((row) => row.id_hash))
      .execute();
  }
  return oldest.length === excess;
}
