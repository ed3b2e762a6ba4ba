import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseAdapter } from '../src/oauth/adapter.js';
import { rowKey, seal, unseal } from '../src/store/sealed.js';
import type { Store } from '../src/store/store.js';
import { Browser, authorizeUrl, createOAuthFixture, obtainTokens, PASSWORD, register, type OAuthFixture } from './oauth-helpers.js';

/**
 * A copy of the database (a stolen backup, a leaked dump) must not yield a live session or token:
 * no id a browser or client presents — session or interaction cookie, interaction uid, grant id,
 * code, token, client secret — may be readable from it, and nothing in it may work as one.
 */

let f: OAuthFixture;

beforeAll(async () => {
  // The attack below starts an authorization for every id-like string in the dump.
  f = await createOAuthFixture({ oauth: { rateLimits: { authorization: { limit: 100_000, windowSeconds: 60 } } } });
});
afterAll(() => f.close());

/** Every row of every table, as text: what an attacker with a copy of the database has. */
async function dumpDatabase(store: Store): Promise<string> {
  const tables = await store.db.introspection.getTables();
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await sql`SELECT * FROM ${sql.table(table.name)}`.execute(store.db);
    parts.push(JSON.stringify(rows.rows));
  }
  return parts.join('\n');
}

/** A cookie signed the way oidc-provider's (koa's keygrip) are, with the cookie key from the settings table. */
function signCookie(name: string, value: string, key: string): string {
  const sig = createHmac('sha1', key).update(`${name}=${value}`).digest('base64').replace(/\/|\+|=/g, (c) => ({ '/': '_', '+': '-', '=': '' })[c]!);
  return `${name}=${value}; ${name}.sig=${sig}`;
}

describe('a copy of the database', () => {
  it('holds no id a browser or client presents, and no id-like string in it signs in as the user', async () => {
    // A victim signs in and leaves the consent page open: a live session and a pending interaction.
    const victim = new Browser(f.server.url);
    let step = await victim.follow(authorizeUrl(f.server, { client: await register(f.server) }));
    step = await victim.submit(await step.res.text(), step.url, { email: 'ana@example.com', password: PASSWORD });
    expect(await step.res.text()).toContain('Allow access to Conduit?');
    const cookies = (victim as unknown as { cookies: Map<string, string> }).cookies;
    const sessionCookie = cookies.get('conduit_oauth_session')!;
    const interactionCookie = cookies.get('conduit_oauth_interaction')!;
    const interactionUid = /\/interaction\/([A-Za-z0-9_-]+)/.exec(step.url)![1]!;
    expect(sessionCookie).toBeTruthy();

    // A finished connection of a confidential client: code (used), tokens, secret, grant.
    const client = await register(f.server, { token_endpoint_auth_method: 'client_secret_post' });
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
    const grantId = (await new DatabaseAdapter(f.t.store, 'AccessToken').find(tokens.access_token))!.grantId as string;
    const session = await new DatabaseAdapter(f.t.store, 'Session').find(sessionCookie);
    const sessionUid = session!.uid as string;

    const dump = await dumpDatabase(f.t.store);
    const secrets = { sessionCookie, interactionCookie, interactionUid, sessionUid, grantId, access: tokens.access_token, refresh: tokens.refresh_token!, secret: client.client_secret! };
    for (const [what, value] of Object.entries(secrets)) expect(dump.includes(value), what).toBe(false);

    // The attack of the pass of 2026-12-06: sign an id from the copy as the session cookie with the
    // cookie key from the same copy, and start an authorization with it.
    const key = (await f.t.store.db.selectFrom('settings').select('value').where('key', '=', 'oauth_cookie_key').executeTakeFirstOrThrow()).value;
    const candidates = [...new Set(dump.match(/[A-Za-z0-9_-]{21,64}/g) ?? [])];
    const attacker = await register(f.server, { client_name: 'Attacker' });
    const signedIn: string[] = [];
    for (const candidate of candidates) {
      const res = await fetch(authorizeUrl(f.server, { client: attacker }), { headers: { cookie: signCookie('conduit_oauth_session', candidate, key) }, redirect: 'manual' });
      expect(res.status).toBe(303);
      const next = await fetch(new URL(res.headers.get('location') ?? '/', f.server.url), { headers: { cookie: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') } });
      if ((await next.text()).includes('Allow access to Conduit?')) signedIn.push(candidate);
    }
    expect(candidates.length).toBeGreaterThan(10);
    expect(signedIn).toEqual([]);
    // The same forgery with the real cookie value does sign in: the test would see a working session.
    const real = await fetch(authorizeUrl(f.server, { client: attacker }), { headers: { cookie: signCookie('conduit_oauth_session', sessionCookie, key) }, redirect: 'manual' });
    const realNext = await fetch(new URL(real.headers.get('location')!, f.server.url), { headers: { cookie: real.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') } });
    expect(await realNext.text()).toContain('Allow access to Conduit?');
    // Two authorization requests per id-like string in the dump (hundreds): up to 22 s measured on
    // a busy 2-core machine, too close to the 30 s default on a slower one.
  }, 120_000);

  it('stores every OAuth row sealed under its id: it opens with the id it was stored under and no other', async () => {
    const rows = await f.t.store.db.selectFrom('oauth_models').select(['model', 'id_hash', 'payload']).execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.payload).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
      expect(row.id_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    const sealed = seal('an-id-of-forty-three-characters-aaaaaaaaaa', 'AccessToken', '{"a":1}');
    expect(unseal('an-id-of-forty-three-characters-aaaaaaaaaa', 'AccessToken', sealed)).toBe('{"a":1}');
    expect(unseal('an-id-of-forty-three-characters-aaaaaaaaab', 'AccessToken', sealed)).toBeNull();
    expect(unseal('an-id-of-forty-three-characters-aaaaaaaaaa', 'RefreshToken', sealed)).toBeNull(); // another model
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    expect(unseal('an-id-of-forty-three-characters-aaaaaaaaaa', 'AccessToken', flipped)).toBeNull();
    expect(unseal('x', 'AccessToken', '{"clear":"json"}')).toBeNull();
  });
});

describe('the lookups oidc-provider needs still work on sealed rows', () => {
  it('findByUid, consume, revokeByGrantId and destroy', async () => {
    const sessions = new DatabaseAdapter(f.t.store, 'Session');
    await sessions.upsert('session-id-1234567890123456789012345', { uid: 'session-uid-123456789012', accountId: f.user.id, kind: 'Session' }, 3600);
    expect(await sessions.findByUid('session-uid-123456789012')).toMatchObject({ accountId: f.user.id });
    expect(await sessions.find('session-id-1234567890123456789012345')).toMatchObject({ jti: 'session-id-1234567890123456789012345', uid: 'session-uid-123456789012' });
    await sessions.destroy('session-id-1234567890123456789012345');
    expect(await sessions.findByUid('session-uid-123456789012')).toBeUndefined();
    expect(await f.t.store.db.selectFrom('oauth_models').select('model').where('id_hash', 'in', [rowKey('session-id-1234567890123456789012345'), rowKey('session-uid-123456789012')]).execute()).toEqual([]);

    const codes = new DatabaseAdapter(f.t.store, 'AuthorizationCode');
    await codes.upsert('code-1234567890123456789012', { grantId: 'grant-123456789012345678901', kind: 'AuthorizationCode' }, 60);
    await codes.consume('code-1234567890123456789012');
    expect((await codes.find('code-1234567890123456789012'))!.consumed).toBeGreaterThan(0);
    await codes.revokeByGrantId('grant-123456789012345678901');
    expect(await codes.find('code-1234567890123456789012')).toBeUndefined();
  });
});
