import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql, type MigrationProvider } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listGrants } from '../src/oauth/grants.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { migrateStore } from '../src/store/open.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { openPostgresStore } from '../src/store/postgres/open.js';
import { rowKey, unseal } from '../src/store/sealed.js';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import type { Store } from '../src/store/store.js';
import { createWorkspace } from './helpers.js';
import { createUser, obtainTokens, type RegisteredClient } from './oauth-helpers.js';
import { createEmptyDatabase, TEST_DATABASE_URL } from './test-database.js';

/**
 * Migration 0006 on a database written by the previous release: the rows that held ids in clear
 * (an interaction with its session cookie, a session, a grant, a token) are gone, and a client
 * registered before keeps working, sealed.
 */

const LEGACY_CLIENT: RegisteredClient = { client_id: 'legacyClientId0123456789abcdefghijklmnopq', redirect_uris: ['http://127.0.0.1:33418/callback'] };
const LEGACY_COOKIE = 'legacySessionCookie0123456789abcdefghijklmn';
const LEGACY_GRANT = 'legacyGrantId0123456789abcdefghijklmnopqrs';
const LEGACY_INTERACTION = 'legacyInteractionUid0123456789abcdefghijkl';

async function storeBeforeSealing(): Promise<{ store: Store; cleanup(): Promise<void> }> {
  const migrations = TEST_DATABASE_URL ? postgresMigrations : sqliteMigrations;
  let store: Store;
  let cleanup: () => Promise<void>;
  if (TEST_DATABASE_URL) {
    const database = await createEmptyDatabase(TEST_DATABASE_URL);
    store = await openPostgresStore({ url: database.url, migrate: false });
    cleanup = async () => {
      await store.close();
      await database.drop();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-migration-'));
    store = await openSqliteStore({ file: join(dir, 'conduit.db'), migrate: false });
    cleanup = async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error } = await new Migrator({ db: store.db, provider }).migrateTo('0005_oauth_limits_in_buckets');
  if (error) throw error;
  return { store, cleanup };
}

describe('migration 0006: OAuth state sealed', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let server: ConduitServer;
  let acmeId: string;

  beforeAll(async () => {
    ({ store, cleanup } = await storeBeforeSealing());
    const acme = await createWorkspace(store, 'acme-hotels', 'Acme Hotels');
    acmeId = acme.id;
    const user = await createUser(store, 'ana@example.com', [acme]);
    const future = new Date(Date.now() + 3600_000).toISOString();
    // Rows as the previous release wrote them: payloads in clear, grant ids and uids in columns.
    const client = {
      client_id: LEGACY_CLIENT.client_id,
      client_id_issued_at: 1_790_000_000,
      client_name: 'Legacy Client',
      redirect_uris: LEGACY_CLIENT.redirect_uris,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
    };
    const legacy = [
      ['Client', rowKey(LEGACY_CLIENT.client_id), JSON.stringify(client), null, null, null],
      ['Interaction', rowKey(LEGACY_INTERACTION), JSON.stringify({ kind: 'Interaction', returnTo: `/oauth/mcp/auth/${LEGACY_INTERACTION}`, session: { cookie: LEGACY_COOKIE, accountId: user.id, uid: 'legacyUid' } }), null, 'legacyUid', future],
      ['Session', rowKey(LEGACY_COOKIE), JSON.stringify({ kind: 'Session', uid: 'legacyUid', accountId: user.id, authorizations: { [LEGACY_CLIENT.client_id]: { grantId: LEGACY_GRANT } } }), null, 'legacyUid', future],
      ['Grant', rowKey(LEGACY_GRANT), JSON.stringify({ kind: 'Grant', accountId: user.id, clientId: LEGACY_CLIENT.client_id, iat: 1_790_000_000 }), LEGACY_GRANT, null, future],
      ['RefreshToken', rowKey('legacyRefreshToken'), JSON.stringify({ kind: 'RefreshToken', grantId: LEGACY_GRANT, accountId: user.id }), LEGACY_GRANT, null, future],
    ] as const;
    for (const [model, idHash, payload, grantId, uid, expiresAt] of legacy) {
      await sql`INSERT INTO oauth_models (model, id_hash, payload, grant_id, uid, expires_at, consumed_at)
        VALUES (${model}, ${idHash}, ${payload}, ${grantId}, ${uid}, ${expiresAt}, NULL)`.execute(store.db);
    }
    await sql`INSERT INTO oauth_grant_workspaces (grant_id, workspace_id) VALUES (${LEGACY_GRANT}, ${acme.id})`.execute(store.db);

    expect(await migrateStore(store)).toContain('0006_oauth_sealed');
    server = await createConduitServer({ store, port: 0, logger: pino({ level: 'silent' }), delivery: false });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('drops every row that held an id in clear, sessions, grants and tokens with them', async () => {
    const rows = await store.db.selectFrom('oauth_models').select(['model', 'payload']).execute();
    expect(rows.map((r) => r.model)).toEqual(['Client']);
    const text = JSON.stringify([rows, await store.db.selectFrom('oauth_grant_workspaces').selectAll().execute(), await store.db.selectFrom('oauth_grants').selectAll().execute()]);
    for (const secret of [LEGACY_COOKIE, LEGACY_GRANT, LEGACY_INTERACTION, 'legacyUid']) expect(text).not.toContain(secret);
    expect(await listGrants(store)).toEqual([]);
  });

  it('keeps a registered client, sealed under its id and counted as used, so it signs in as before', async () => {
    const row = await store.db.selectFrom('oauth_models').select(['payload', 'used_at', 'expires_at']).where('model', '=', 'Client').executeTakeFirstOrThrow();
    expect(row.payload).toMatch(/^v1\./);
    expect(JSON.parse(unseal(LEGACY_CLIENT.client_id, 'Client', row.payload)!)).toMatchObject({ client_name: 'Legacy Client' });
    expect(row.used_at).not.toBeNull();
    expect(Date.parse(row.expires_at!) - Date.now()).toBeGreaterThan(89 * 24 * 3600 * 1000);

    const tokens = await obtainTokens(server, LEGACY_CLIENT, { workspaces: [acmeId] });
    expect(tokens.access_token).toBeTruthy();
    const grants = await listGrants(store);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ client_id: LEGACY_CLIENT.client_id, client_name: 'Legacy Client', user_email: 'ana@example.com', workspaces: ['acme-hotels'] });
  });
});
