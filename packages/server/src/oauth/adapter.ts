import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database } from '../store/schema.js';
import { rowKey, seal, unseal } from '../store/sealed.js';
import type { Store } from '../store/store.js';
import { markClientUsed, NEVER_USED_CLIENT_MS } from './clients.js';

/**
 * oidc-provider's storage adapter over our database (table oauth_models), so replicas sharing
 * one database share clients, grants, sessions and tokens.
 *
 * Every row is sealed (store/sealed.ts): stored under the SHA-256 of its id, its payload
 * encrypted with a key derived from the id. oidc-provider finds every model by an id the caller
 * presents — a session or interaction cookie, a token, a code, a grant id held in a token — so
 * the server can read any row it is asked for, and a copy of the database (or a backup) holds no
 * id a browser or client presents and no payload readable without one: no session cookie, no
 * interaction, no grant id, no token.
 *
 * The lookups oidc-provider needs besides `find`:
 * - `findByUid` (a session by its uid, which interactions and tokens carry): each session is
 *   stored a second time, as model `Session.uid`, sealed under its uid.
 * - `revokeByGrantId`: token rows carry the SHA-256 of their grant id in `grant_hash`.
 * - `consume`: `consumed_at` is a column beside the sealed payload.
 * - `findByUserCode` (the device flow) is not enabled.
 *
 * A confidential client's `client_secret` is replaced by `sha256:<hex>` before sealing and
 * compared by hash (see patchClientSecretComparison); DCR secrets are 512 random bits, so an
 * unsalted hash is enough.
 */

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const CLIENT_SECRET_PREFIX = 'sha256:';

export function hashClientSecret(secret: string): string {
  return `${CLIENT_SECRET_PREFIX}${sha256Hex(secret)}`;
}

/** Models whose rows join a grant (revokeByGrantId deletes them together). */
const GRANT_MEMBERS = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'ClientCredentials', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** Issuing one of these to a client means the client is in use (see clients.ts). */
const CLIENT_USES = new Set(['AuthorizationCode', 'AccessToken', 'RefreshToken']);

const SESSION_BY_UID = 'Session.uid';

/** The reference an administrator sees for a grant (`oauth grants`, logs): the start of its hash, not its id. */
export function grantRef(grantId: string): string {
  return rowKey(grantId).slice(0, 16);
}

function toIso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}

interface GrantPayload {
  accountId?: unknown;
  clientId?: unknown;
  iat?: unknown;
  resources?: Record<string, unknown>;
  openid?: { scope?: unknown };
}

function grantScopes(payload: GrantPayload): string {
  const scopes = [...Object.values(payload.resources ?? {}), payload.openid?.scope].flatMap((scope) => (typeof scope === 'string' ? scope.split(' ') : []));
  return [...new Set(scopes.filter(Boolean))].sort().join(' ');
}

export class DatabaseAdapter implements Adapter {
  constructor(
    private readonly store: Store,
    private readonly model: string,
    /** Rows stay findable this long past expiry so oidc-provider, not a missing row, reports "expired". */
    private readonly clockToleranceSeconds = 15,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const { jti: _jti, consumed, ...rest } = payload;
    if (this.model === 'Client' && typeof rest.client_secret === 'string' && !rest.client_secret.startsWith(CLIENT_SECRET_PREFIX)) {
      rest.client_secret = hashClientSecret(rest.client_secret);
    }
    const now = new Date();
    const expiresAt = typeof expiresIn === 'number' ? new Date(now.getTime() + expiresIn * 1000).toISOString() : null;
    const grantId = this.model === 'Grant' ? id : typeof payload.grantId === 'string' ? payload.grantId : null;
    const json = JSON.stringify(rest);
    await this.store.db.transaction().execute(async (trx) => {
      await writeRow(trx, this.model, id, json, {
        grant_hash: grantId === null ? null : rowKey(grantId),
        expires_at: expiresAt,
        consumed_at: typeof consumed === 'number' ? toIso(consumed) : null,
      });
      if (this.model === 'Session' && typeof payload.uid === 'string') {
        await writeRow(trx, SESSION_BY_UID, payload.uid, json, { grant_hash: null, expires_at: expiresAt, consumed_at: null });
      }
      if (this.model === 'Grant') await writeGrantSummary(trx, id, rest as GrantPayload, expiresAt, now);
      if (CLIENT_USES.has(this.model) && typeof payload.clientId === 'string') await markClientUsed(trx, payload.clientId, now);
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.read(this.model, id, true);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    // The session's own id is not in what its uid unseals, so it comes back without it;
    // oidc-provider only reads such sessions (to check one still exists and who it belongs to).
    return this.read(SESSION_BY_UID, uid, false);
  }

  async consume(id: string): Promise<void> {
    await this.store.db
      .updateTable('oauth_models')
      .set({ consumed_at: new Date().toISOString() })
      .where('model', '=', this.model)
      .where('id_hash', '=', rowKey(id))
      .execute();
  }

  async destroy(id: string): Promise<void> {
    const session = this.model === 'Session' ? await this.find(id) : undefined;
    await this.store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oauth_models').where('model', '=', this.model).where('id_hash', '=', rowKey(id)).execute();
      if (typeof session?.uid === 'string') {
        await trx.deleteFrom('oauth_models').where('model', '=', SESSION_BY_UID).where('id_hash', '=', rowKey(session.uid)).execute();
      }
      if (this.model === 'Grant') {
        await trx.deleteFrom('oauth_grants').where('grant_hash', '=', rowKey(id)).execute();
        await trx.deleteFrom('oauth_grant_workspaces').where('grant_hash', '=', rowKey(id)).execute();
      }
    });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (!GRANT_MEMBERS.has(this.model)) return;
    await this.store.db.deleteFrom('oauth_models').where('model', '=', this.model).where('grant_hash', '=', rowKey(grantId)).execute();
  }

  private async read(model: string, id: string, withId: boolean): Promise<AdapterPayload | undefined> {
    const cutoff = new Date(Date.now() - this.clockToleranceSeconds * 1000).toISOString();
    const row = await this.store.db
      .selectFrom('oauth_models')
      .select(['payload', 'consumed_at'])
      .where('model', '=', model)
      .where('id_hash', '=', rowKey(id))
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', cutoff)]))
      .executeTakeFirst();
    const json = row && unseal(id, model, row.payload);
    if (!row || json === null || json === undefined) return undefined;
    const payload = JSON.parse(json) as AdapterPayload;
    if (withId && this.model !== 'Client') payload.jti = id;
    if (row.consumed_at) payload.consumed = Math.floor(Date.parse(row.consumed_at) / 1000);
    return payload;
  }
}

async function writeRow(
  db: Kysely<Database>,
  model: string,
  id: string,
  json: string,
  columns: { grant_hash: string | null; expires_at: string | null; consumed_at: string | null },
): Promise<void> {
  const sealed = seal(id, model, json);
  if (model === 'Client') {
    // A registration: never used yet, so it lives a day unless a code or token is issued to it.
    // Saved again (it is not, with registration management off), it would keep its lifetime.
    const expiresAt = new Date(Date.now() + NEVER_USED_CLIENT_MS).toISOString();
    await db
      .insertInto('oauth_models')
      .values({ model, id_hash: rowKey(id), payload: sealed, grant_hash: null, expires_at: expiresAt, consumed_at: null, used_at: null })
      .onConflict((oc) => oc.columns(['model', 'id_hash']).doUpdateSet({ payload: sealed }))
      .execute();
    return;
  }
  const row = { payload: sealed, ...columns };
  await db
    .insertInto('oauth_models')
    .values({ model, id_hash: rowKey(id), used_at: null, ...row })
    .onConflict((oc) => oc.columns(['model', 'id_hash']).doUpdateSet(row))
    .execute();
}

/** The clear summary of a grant that `oauth grants` lists; nothing in it works as a credential. */
async function writeGrantSummary(db: Kysely<Database>, grantId: string, payload: GrantPayload, expiresAt: string | null, now: Date): Promise<void> {
  if (typeof payload.accountId !== 'string' || typeof payload.clientId !== 'string') return;
  const summary = {
    user_id: payload.accountId,
    client_id: payload.clientId,
    scopes: grantScopes(payload),
    created_at: typeof payload.iat === 'number' ? toIso(payload.iat) : now.toISOString(),
    expires_at: expiresAt,
  };
  await db
    .insertInto('oauth_grants')
    .values({ grant_hash: rowKey(grantId), ...summary })
    .onConflict((oc) => oc.column('grant_hash').doUpdateSet(summary))
    .execute();
}

/** The adapter factory oidc-provider calls once per model name. */
export function databaseAdapter(store: Store): (model: string) => DatabaseAdapter {
  return (model) => new DatabaseAdapter(store, model);
}

/**
 * Deletes expired rows, and grants that are over: expired, or whose client is gone (expired or
 * evicted), with their tokens and workspace lists.
 */
export async function pruneOAuthState(store: Store, now = new Date()): Promise<void> {
  const nowIso = now.toISOString();
  await store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('oauth_models').where('expires_at', '<', nowIso).execute();
    const grants = await trx.selectFrom('oauth_grants').select(['grant_hash', 'client_id', 'expires_at']).execute();
    const clients = new Set(
      (await trx.selectFrom('oauth_models').select('id_hash').where('model', '=', 'Client').execute()).map((row) => row.id_hash),
    );
    const over = grants.filter((g) => (g.expires_at !== null && g.expires_at < nowIso) || !clients.has(rowKey(g.client_id))).map((g) => g.grant_hash);
    for (let i = 0; i < over.length; i += 500) {
      const batch = over.slice(i, i + 500);
      await trx.deleteFrom('oauth_models').where('grant_hash', 'in', batch).execute();
      await trx.deleteFrom('oauth_grants').where('grant_hash', 'in', batch).execute();
    }
    await trx
      .deleteFrom('oauth_grant_workspaces')
      .where('grant_hash', 'not in', trx.selectFrom('oauth_grants').select('grant_hash'))
      .execute();
  });
}
