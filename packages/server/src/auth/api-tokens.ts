import { createHash, randomBytes } from 'node:crypto';
import { base32, newId, nowIso } from '../ids.js';
import { prepared } from '../store/prepared.js';
import type { TokenAccess } from '../store/schema.js';
import { isDatabaseUnavailable } from '../store/errors.js';
import type { Store } from '../store/store.js';
import type { Credential } from '../core/credential.js';

export const API_TOKEN_PREFIX = 'capi_';
/** 'capi_' + 52 base32 characters (256 random bits). */
const TOKEN_PATTERN = /^capi_[0-9a-z]{52}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function looksLikeApiToken(token: string): boolean {
  return token.startsWith(API_TOKEN_PREFIX);
}

export interface CreateApiTokenInput {
  name: string;
  access: TokenAccess;
  workspaceIds: string[];
  expiresAt: string | null;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  prefix: string;
  access: TokenAccess;
  workspaces: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** Creates a token and returns its secret. The secret is shown once; only its hash is stored. */
export async function createApiToken(store: Store, input: CreateApiTokenInput): Promise<{ id: string; token: string }> {
  if (input.workspaceIds.length === 0) throw new Error('an API token needs at least one workspace');
  const token = `${API_TOKEN_PREFIX}${base32(randomBytes(32))}`;
  const id = newId('tok');
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({
        id,
        name: input.name,
        token_hash: hashToken(token),
        token_prefix: token.slice(0, 12),
        access: input.access,
        created_at: nowIso(),
        expires_at: input.expiresAt,
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
    await trx
      .insertInto('api_token_workspaces')
      .values(input.workspaceIds.map((workspace_id) => ({ token_id: id, workspace_id })))
      .execute();
  });
  return { id, token };
}

export async function listApiTokens(store: Store): Promise<ApiTokenInfo[]> {
  const tokens = await store.db.selectFrom('api_tokens').selectAll().orderBy('created_at').execute();
  const links = await store.db
    .selectFrom('api_token_workspaces as l')
    .innerJoin('workspaces as w', 'w.id', 'l.workspace_id')
    .select(['l.token_id', 'w.slug'])
    .execute();
  return tokens.map((t) => ({
    id: t.id,
    name: t.name,
    prefix: t.token_prefix,
    access: t.access,
    workspaces: links.filter((l) => l.token_id === t.id).map((l) => l.slug),
    created_at: t.created_at,
    expires_at: t.expires_at,
    revoked_at: t.revoked_at,
    last_used_at: t.last_used_at,
  }));
}

/** Revokes a token; true when it existed and was active. Takes effect on the next request. */
export async function revokeApiToken(store: Store, id: string): Promise<boolean> {
  const result = await store.db
    .updateTable('api_tokens')
    .set({ revoked_at: nowIso() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** How often last_used_at is written: per request would turn every read into a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** One query for the token and its workspaces: this runs on every request. */
const findToken = prepared((db, v: { hash: string }) =>
  db
    .selectFrom('api_tokens as t')
    .leftJoin('api_token_workspaces as w', 'w.token_id', 't.id')
    .select(['t.id', 't.access', 't.expires_at', 't.revoked_at', 't.last_used_at', 'w.workspace_id'])
    .where('t.token_hash', '=', v.hash),
);

/**
 * Verifies an API token on every request (revocation is immediate: no cache). Returns null for
 * an unknown, malformed, revoked or expired token.
 */
export async function verifyApiToken(store: Store, token: string, now = new Date()): Promise<Credential | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const { rows } = await findToken(store.db, { hash: hashToken(token) });
  const row = rows[0];
  if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now.toISOString())) return null;
  const workspaces = rows.flatMap((r) => (r.workspace_id ? [{ workspace_id: r.workspace_id }] : []));
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
    // Bookkeeping only: a read must not fail because another process holds SQLite's write lock
    // (reads need no lock). The first request after it is released records the use.
    await store.db
      .updateTable('api_tokens')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', row.id)
      .execute()
      .catch((error: unknown) => {
        if (!isDatabaseUnavailable(error)) throw error;
      });
  }
  return {
    kind: 'api_token',
    id: row.id,
    userId: null,
    access: row.access,
    scopes: row.access === 'read_write' ? ['mcp:read', 'mcp:write'] : ['mcp:read'],
    workspaceIds: new Set(workspaces.map((w) => w.workspace_id)),
  };
}

/** Parses durations such as `90d`, `12h`, `30m` for `tokens create --expires`. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([dhm])$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}": use a number followed by d, h or m, e.g. 90d`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new Error('duration must be positive');
  return ms;
}
