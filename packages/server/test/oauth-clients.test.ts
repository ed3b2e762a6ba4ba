import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOAuthState } from '../src/oauth/adapter.js';
import { rowKey } from '../src/store/sealed.js';
import { authorizeUrl, createOAuthFixture, obtainTokens, register, type OAuthFixture, type RegisteredClient } from './oauth-helpers.js';

/**
 * Anyone may register a client, and every registration is stored: registrations are capped in
 * size, expire when never (or no longer) used, and are bounded in number.
 */

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

async function registration(f: OAuthFixture, metadata: Record<string, unknown>): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${f.server.url}/oauth/mcp/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none', ...metadata }),
  });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, error: body.error };
}

async function clientRow(f: OAuthFixture, clientId: string) {
  return f.t.store.db.selectFrom('oauth_models').select(['expires_at', 'used_at']).where('model', '=', 'Client').where('id_hash', '=', rowKey(clientId)).executeTakeFirst();
}

/** What the browser meets when it starts an authorization for this client id. */
async function authorizePage(f: OAuthFixture, client: RegisteredClient): Promise<string> {
  const res = await fetch(authorizeUrl(f.server, { client }), { redirect: 'manual' });
  return res.status === 303 ? 'redirect' : await res.text();
}

describe('client registration', () => {
  let f: OAuthFixture;
  beforeAll(async () => {
    f = await createOAuthFixture({ oauth: { rateLimits: { registration: { limit: 1000, windowSeconds: 3600 } } } });
  });
  afterAll(() => f.close());

  it('caps metadata sizes: a 40 KB name, long URIs, too many redirect URIs, too much in all', async () => {
    expect(await registration(f, { client_name: 'x'.repeat(40_000) })).toEqual({ status: 400, error: 'invalid_client_metadata' });
    expect(await registration(f, { client_name: 'x'.repeat(201) })).toEqual({ status: 400, error: 'invalid_client_metadata' });
    expect(await registration(f, { client_uri: `https://app.example.com/${'y'.repeat(2000)}` })).toEqual({ status: 400, error: 'invalid_client_metadata' });
    const many = Array.from({ length: 11 }, (_, i) => `http://127.0.0.1:1/cb${i}`);
    expect(await registration(f, { redirect_uris: many })).toEqual({ status: 400, error: 'invalid_redirect_uri' });
    expect(await registration(f, { redirect_uris: [`https://app.example.com/${'z'.repeat(2000)}`] })).toEqual({ status: 400, error: 'invalid_redirect_uri' });
    const fields = Object.fromEntries(['client_uri', 'logo_uri', 'policy_uri', 'tos_uri'].map((k) => [k, `https://app.example.com/${'w'.repeat(1900)}`]));
    const ten = Array.from({ length: 10 }, (_, i) => `https://app.example.com/${i}/${'v'.repeat(900)}`);
    expect(await registration(f, { ...fields, redirect_uris: ten })).toEqual({ status: 400, error: 'invalid_client_metadata' });
    // What real clients send is well within the caps.
    expect((await registration(f, { client_name: 'Claude Code (conduit-mcp)', client_uri: 'https://claude.ai', redirect_uris: ['http://127.0.0.1:33418/callback'] })).status).toBe(201);
  });

  it('expires a client never used a day after it registered, and a used one 90 days after its last use', async () => {
    const before = Date.now();
    const client = await register(f.server);
    const fresh = await clientRow(f, client.client_id);
    expect(fresh!.used_at).toBeNull();
    expect(Date.parse(fresh!.expires_at!) - before).toBeGreaterThanOrEqual(DAY - 1000);
    expect(Date.parse(fresh!.expires_at!) - before).toBeLessThanOrEqual(DAY + 60_000);

    await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
    const used = await clientRow(f, client.client_id);
    expect(used!.used_at).not.toBeNull();
    expect(Date.parse(used!.expires_at!) - before).toBeGreaterThanOrEqual(90 * DAY - 1000);

    // Once expired, the client is unknown (the browser gets the error page, never a redirect) and pruned.
    const abandoned = await register(f.server);
    await f.t.store.db.updateTable('oauth_models').set({ expires_at: new Date(Date.now() - HOUR).toISOString() }).where('id_hash', '=', rowKey(abandoned.client_id)).execute();
    expect(await authorizePage(f, abandoned)).toContain('This application is not registered with this server');
    await pruneOAuthState(f.t.store);
    expect(await clientRow(f, abandoned.client_id)).toBeUndefined();
    expect(await authorizePage(f, client)).toBe('redirect');
  });
});

describe('the number of registered clients', () => {
  let f: OAuthFixture;
  beforeAll(async () => {
    f = await createOAuthFixture({ oauth: { maxClients: 3, rateLimits: { registration: { limit: 1000, windowSeconds: 3600 } } } });
  });
  afterAll(() => f.close());

  it('is bounded: the oldest never-used client makes room, and when every client is in use registration is refused', async () => {
    const first = await register(f.server);
    const second = await register(f.server);
    const third = await register(f.server);
    await obtainTokens(f.server, second, { workspaces: [f.acme.id] });

    const fourth = await register(f.server); // evicts `first`, the oldest never used
    expect(await authorizePage(f, first)).toContain('This application is not registered with this server');
    expect(await authorizePage(f, third)).toBe('redirect');
    const fifth = await register(f.server); // evicts `third`
    expect(await authorizePage(f, third)).toContain('This application is not registered with this server');

    await obtainTokens(f.server, fourth, { workspaces: [f.acme.id] });
    await obtainTokens(f.server, fifth, { workspaces: [f.acme.id] });
    const refused = await fetch(`${f.server.url}/oauth/mcp/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(((await refused.json()) as { error: string }).error).toBe('temporarily_unavailable');
    // Clients in use are untouched.
    for (const client of [second, fourth, fifth]) expect(await authorizePage(f, client)).toBe('redirect');
  });
});
