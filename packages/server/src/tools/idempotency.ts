import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ToolError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import type { Dialect } from '../store/store.js';
import type { CallToolResult } from './result.js';

/** How long a key is remembered. TOOLS.md promises at least 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyScope {
  workspaceId: string;
  tool: string;
  key: string;
}

/**
 * The key to use for a write: the `idempotency_key` argument or the `Idempotency-Key` header.
 * When both are given they must agree, or the caller would not know which one protected it.
 */
export function pickIdempotencyKey(argument: unknown, header: string | undefined): string | undefined {
  const fromArgs = typeof argument === 'string' ? argument : undefined;
  if (fromArgs !== undefined && header !== undefined && fromArgs !== header) {
    throw new ToolError(
      'invalid_argument',
      'idempotency_key argument and Idempotency-Key header differ: send one of them, or the same value in both.',
    );
  }
  const key = fromArgs ?? header;
  if (key !== undefined && (key.length === 0 || key.length > 255)) {
    throw new ToolError('invalid_argument', 'Idempotency-Key header must be 1-255 characters.');
  }
  return key;
}

/** Key order and the key itself do not change what a request means, so neither changes its hash. */
export function requestHash(args: Record<string, unknown>): string {
  const { idempotency_key: _key, ...rest } = args;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Makes concurrent requests with the same key take turns, inside the write's transaction. On
 * PostgreSQL, transactions run side by side: without this, each would miss the key, run the
 * write and only the first would commit, the others failing on the key (or earlier, on a unique
 * value the write itself inserts) instead of replaying. A transaction-scoped advisory lock on the
 * key's hash makes the second wait until the first commits; its next statement then sees the
 * stored result. SQLite runs one write transaction at a time, so there is nothing to do.
 */
export async function lockIdempotencyKey(trx: Kysely<Database>, dialect: Dialect, scope: IdempotencyScope): Promise<void> {
  if (dialect !== 'postgres') return;
  const digest = createHash('sha256').update(JSON.stringify([scope.workspaceId, scope.tool, scope.key])).digest();
  await sql`SELECT pg_advisory_xact_lock(${digest.readBigInt64BE(0).toString()}::bigint)`.execute(trx);
}

/**
 * Looks the key up inside the write's transaction. Returns the stored result marked as a replay
 * when the same request was already done; throws `idempotency_key_reused` when the key was used
 * for different arguments; returns null when the write should run.
 */
export async function findReplay(
  trx: Kysely<Database>,
  scope: IdempotencyScope,
  hash: string,
  now: Date,
): Promise<CallToolResult | null> {
  const row = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response', 'expires_at', 'created_at'])
    .where('workspace_id', '=', scope.workspaceId)
    .where('tool', '=', scope.tool)
    .where('key', '=', scope.key)
    .executeTakeFirst();
  if (!row) return null;
  if (row.expires_at <= now.toISOString()) {
    // Expired but not yet pruned: forget it now so the key can be used afresh.
    await trx
      .deleteFrom('idempotency_keys')
      .where('workspace_id', '=', scope.workspaceId)
      .where('tool', '=', scope.tool)
      .where('key', '=', scope.key)
      .execute();
    return null;
  }
  if (row.request_hash !== hash) {
    throw new ToolError(
      'idempotency_key_reused',
      `idempotency key "${scope.key}" was already used for a different ${scope.tool} request. Use a new key for a new request.`,
    );
  }
  const stored = JSON.parse(row.response) as CallToolResult;
  return {
    ...stored,
    _meta: { ...stored._meta, 'conduit/idempotency': { key: scope.key, replayed: true, original_at: row.created_at } },
  };
}

export async function remember(
  trx: Kysely<Database>,
  scope: IdempotencyScope,
  hash: string,
  result: CallToolResult,
  now: Date,
): Promise<void> {
  await trx
    .insertInto('idempotency_keys')
    .values({
      workspace_id: scope.workspaceId,
      tool: scope.tool,
      key: scope.key,
      request_hash: hash,
      response: JSON.stringify(result),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
    })
    .execute();
}

/** Deletes expired keys; returns how many. Run periodically by the server. */
export async function pruneIdempotencyKeys(db: Kysely<Database>, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
