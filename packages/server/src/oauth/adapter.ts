import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Store } from '../store/store.js';

/**
 * oidc-provider's storage adapter over our database (table oauth_models), so replicas sharing
 * one database share clients, grants, sessions and tokens.
 *
 * What is stored, and what is not:
 * - Rows are keyed by SHA-256 of the model id. For codes, access and refresh tokens, sessions
 *   and interactions the id *is* the secret (the opaque token value, the cookie value), so
 *   the payload is stored without its `jti` and the id is put back from the caller's
 *   argument on `find`: a copy of the table does not contain a usable token.
 * - A confidential client's `client_secret` is replaced by `sha256:<hex>` and compared by
 *   hash (see hashedClientSecretCompare); DCR secrets are 512 random bits, so an unsalted
 *   hash is enough.
 * - Grant ids and session uids are not bearer secrets (nothing can be done with one alone)
 *   and are kept in clear in `grant_id` / `uid` so a whole grant can be revoked and a
 *   session found by uid.
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

function toIso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
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
    const grantId = this.model === 'Grant' ? id : typeof payload.grantId === 'string' ? payload.grantId : null;
    const row = {
      payload: JSON.stringify(rest),
      grant_id: grantId,
      uid: this.model === 'Session' && typeof payload.uid === 'string' ? payload.uid : null,
      expires_at: typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000).toISOString() : null,
      consumed_at: typeof consumed === 'number' ? toIso(consumed) : null,
    };
    await this.store.db
      .insertInto('oauth_models')
      .values({ model: this.model, id_hash: sha256Hex(id), ...row })
      .onConflict((oc) => oc.columns(['model', 'id_hash']).doUpdateSet(row))
      .execute();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.live().where('id_hash', '=', sha256Hex(id)).executeTakeFirst();
    return row ? this.restore(row, id) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const row = await this.live().where('uid', '=', uid).executeTakeFirst();
    // The session id is only stored hashed, so a session found by uid comes back without it;
    // oidc-provider only reads such sessions (to check one still exists and who it belongs to).
    return row ? this.restore(row, undefined) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.store.db
      .updateTable('oauth_models')
      .set({ consumed_at: new Date().toISOString() })
      .where('model', '=', this.model)
      .where('id_hash', '=', sha256Hex(id))
      .execute();
  }

  async destroy(id: string): Promise<void> {
    await this.store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oauth_models').where('model', '=', this.model).where('id_hash', '=', sha256Hex(id)).execute();
      if (this.model === 'Grant') await trx.deleteFrom('oauth_grant_workspaces').where('grant_id', '=', id).execute();
    });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (!GRANT_MEMBERS.has(this.model)) return;
    await this.store.db.deleteFrom('oauth_models').where('model', '=', this.model).where('grant_id', '=', grantId).execute();
  }

  private live() {
    const cutoff = new Date(Date.now() - this.clockToleranceSeconds * 1000).toISOString();
    return this.store.db
      .selectFrom('oauth_models')
      .select(['payload', 'consumed_at'])
      .where('model', '=', this.model)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', cutoff)]));
  }

  private restore(row: { payload: string; consumed_at: string | null }, id: string | undefined): AdapterPayload {
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (id !== undefined && this.model !== 'Client') payload.jti = id;
    if (row.consumed_at) payload.consumed = Math.floor(Date.parse(row.consumed_at) / 1000);
    return payload;
  }
}

/** The adapter factory oidc-provider calls once per model name. */
export function databaseAdapter(store: Store): (model: string) => DatabaseAdapter {
  return (model) => new DatabaseAdapter(store, model);
}

/** Deletes expired rows and the workspace lists of grants that no longer exist. */
export async function pruneOAuthState(store: Store, now = new Date()): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('oauth_models').where('expires_at', '<', now.toISOString()).execute();
    await trx
      .deleteFrom('oauth_grant_workspaces')
      .where('grant_id', 'not in', trx.selectFrom('oauth_models').select('grant_id').where('model', '=', 'Grant').where('grant_id', 'is not', null))
      .execute();
  });
}
