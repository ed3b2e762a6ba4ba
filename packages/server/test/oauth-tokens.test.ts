import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOAuthState, sha256Hex } from '../src/oauth/adapter.js';
import { listGrants, revokeGrants } from '../src/oauth/grants.js';
import { seal, unseal } from '../src/store/sealed.js';
import { createConduitServer } from '../src/server.js';
import { Browser, authorizeUrl, callTool, createOAuthFixture, mcp, obtainTokens, pkce, register, signInAndConsent, tokenRequest, type OAuthFixture } from './oauth-helpers.js';

let f: OAuthFixture;

beforeAll(async () => {
  f = await createOAuthFixture();
});
afterAll(async () => {
  await f.close();
});

const INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } };

async function status(token: string): Promise<number> {
  return (await mcp(f.server, token, 'initialize', INIT)).status;
}

function refresh(clientId: string, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(f.server, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, ...extra });
}

describe('refresh tokens', () => {
  it('rotate on every use; reusing a spent one revokes the whole grant', async () => {
    const client = await register(f.server);
    const first = await obtainTokens(f.server, client, { workspaces: [f.acme.id] }, { scope: 'mcp:read mcp:write' });

    const second = await refresh(client.client_id, first.refresh_token!);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).toBeTruthy();
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.body.scope.split(' ').sort()).toEqual(['mcp:read', 'mcp:write']);
    expect(await status(second.body.access_token)).toBe(200);

    const third = await refresh(client.client_id, second.body.refresh_token!);
    expect(third.status).toBe(200);

    // The first refresh token was already used: someone replayed it (a leak), so everything goes.
    const replay = await refresh(client.client_id, first.refresh_token!);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await refresh(client.client_id, third.body.refresh_token!)).body.error).toBe('invalid_grant');
    expect(await status(third.body.access_token)).toBe(401);
    expect(await status(first.access_token)).toBe(401);
  });

  it('belong to their client', async () => {
    const owner = await register(f.server);
    const thief = await register(f.server);
    const tokens = await obtainTokens(f.server, owner, { workspaces: [f.acme.id] });
    const stolen = await refresh(thief.client_id, tokens.refresh_token!);
    expect(stolen.body.error).toBe('invalid_grant');
    expect((await refresh(owner.client_id, tokens.refresh_token!)).status).toBe(200);
  });
});

describe('authorization codes', () => {
  it('work once: a replayed code is refused and revokes what the first exchange issued', async () => {
    const client = await register(f.server);
    const { verifier, challenge } = pkce();
    const redirect = await signInAndConsent(new Browser(f.server.url), authorizeUrl(f.server, { client, challenge }), { workspaces: [f.acme.id] });
    const exchange = () =>
      tokenRequest(f.server, {
        grant_type: 'authorization_code',
        code: redirect.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: client.redirect_uris[0]!,
        client_id: client.client_id,
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    expect(await status(first.body.access_token)).toBe(200);
    const replay = await exchange();
    expect(replay.body.error).toBe('invalid_grant');
    expect(await status(first.body.access_token)).toBe(401);
  });
});

describe('revocation (RFC 7009)', () => {
  it('revoking the refresh token revokes the grant: the access token stops working on the next request', async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
    expect(await status(tokens.access_token)).toBe(200);
    const res = await fetch(`${f.server.url}/oauth/mcp/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token!, token_type_hint: 'refresh_token', client_id: client.client_id }),
    });
    expect(res.status).toBe(200);
    const after = await mcp(f.server, tokens.access_token, 'initialize', INIT);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await refresh(client.client_id, tokens.refresh_token!)).body.error).toBe('invalid_grant');
  });

  it('revoking an access token takes effect immediately; another client cannot revoke it', async () => {
    const client = await register(f.server);
    const other = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
    const revoke = (clientId: string) =>
      fetch(`${f.server.url}/oauth/mcp/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token, client_id: clientId }),
      });
    expect((await revoke(other.client_id)).status).toBe(200); // RFC 7009: answered, but ignored
    expect(await status(tokens.access_token)).toBe(200);
    expect((await revoke(client.client_id)).status).toBe(200);
    expect(await status(tokens.access_token)).toBe(401);
  });
});

describe('access token checks at the MCP endpoint', () => {
  it('rejects an expired access token with 401', async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
    const row = await f.t.store.db
      .selectFrom('oauth_models')
      .select('payload')
      .where('model', '=', 'AccessToken')
      .where('id_hash', '=', sha256Hex(tokens.access_token))
      .executeTakeFirstOrThrow();
    const payload = JSON.parse(unseal(tokens.access_token, 'AccessToken', row.payload)!) as { exp: number };
    payload.exp = Math.floor(Date.now() / 1000) - 120; // past oidc-provider's 15 s clock tolerance
    await f.t.store.db
      .updateTable('oauth_models')
      .set({ payload: seal(tokens.access_token, 'AccessToken', JSON.stringify(payload)) })
      .where('model', '=', 'AccessToken')
      .where('id_hash', '=', sha256Hex(tokens.access_token))
      .execute();
    expect(await status(tokens.access_token)).toBe(401);
  });

  it('rejects a token minted for another resource (a server with another public URL on the same database)', async () => {
    const other = await createConduitServer({ store: f.t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, publicUrl: 'https://mcp.other.example' });
    try {
      const client = await register(f.server);
      const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
      expect(await status(tokens.access_token)).toBe(200);
      // Reached on its loopback address (allowed for a loopback bind) while its public URL differs.
      const port = (other.httpServer.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/v1/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access_token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('resource_metadata="https://mcp.other.example/.well-known/oauth-protected-resource/v1/mcp"');
    } finally {
      await other.close();
    }
  });

  it('refuses resource indicators for anything but this MCP endpoint (invalid_target)', async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
    const res = await refresh(client.client_id, tokens.refresh_token!, { resource: 'https://evil.example/v1/mcp' });
    expect(res.body.error).toBe('invalid_target');
  });

  it('never accepts garbage or an API-token-shaped string as an OAuth token', async () => {
    for (const token of ['x', 'a'.repeat(43), 'capi_' + 'a'.repeat(52)]) expect(await status(token)).toBe(401);
  });
});

describe('what the database keeps', () => {
  it('stores hashes of codes, tokens and client secrets, never the values', async () => {
    const client = await register(f.server, { token_endpoint_auth_method: 'client_secret_post' });
    expect(client.client_secret).toBeTruthy();
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });
    const rows = await f.t.store.db.selectFrom('oauth_models').selectAll().execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(tokens.access_token);
    expect(dump).not.toContain(tokens.refresh_token!);
    expect(dump).not.toContain(client.client_secret!);
    const models = new Set(rows.map((r) => r.model));
    for (const model of ['Client', 'Grant', 'Session', 'Session.uid', 'AccessToken', 'RefreshToken', 'AuthorizationCode']) expect(models).toContain(model);
    for (const row of rows) expect(row.payload).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    // The client, sealed under its (public) id, holds the secret's hash only.
    const clientRow = rows.find((r) => r.model === 'Client' && r.id_hash === sha256Hex(client.client_id))!;
    expect(unseal(client.client_id, 'Client', clientRow.payload)).toContain(`"client_secret":"sha256:${sha256Hex(client.client_secret!)}"`);

    // The hashed secret still authenticates the client, and a wrong one does not.
    const ok = await refresh(client.client_id, tokens.refresh_token!, { client_secret: client.client_secret! });
    expect(ok.status).toBe(200);
    const wrong = await refresh(client.client_id, ok.body.refresh_token!, { client_secret: 'not-the-secret' });
    expect(wrong.body.error).toBe('invalid_client');
  });

  it('keeps the signing keys in the database, so a restarted server publishes the same JWKS', async () => {
    const jwks = async (url: string) => (await (await fetch(`${url}/oauth/mcp/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> };
    const before = await jwks(f.server.url);
    expect(before.keys.length).toBeGreaterThan(0);
    expect(before.keys[0]).not.toHaveProperty('d'); // public parts only
    const again = await createConduitServer({ store: f.t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false });
    try {
      expect((await jwks(again.url)).keys.map((k) => k.kid)).toEqual(before.keys.map((k) => k.kid));
    } finally {
      await again.close();
    }
  });

  it('answers read tools with workspace data for OAuth tokens just like API tokens', async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id, f.clinic.id] });
    const res = await callTool(f.server, tokens.access_token, 'list_workspaces', {});
    const text = JSON.stringify(res.body.result?.structuredContent);
    expect(text).toContain('acme-hotels');
    expect(text).toContain('northwind-clinic');
  });
});

describe('pruning', () => {
  it('deletes expired rows, grants that are over (expired, or their client gone) with their tokens and workspace lists', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const sealedRow = (model: string, id: string, grant: string | null, expires: string | null) => ({
      model,
      id_hash: sha256Hex(id),
      payload: seal(id, model, '{}'),
      grant_hash: grant && sha256Hex(grant),
      expires_at: expires,
      consumed_at: null,
      used_at: null,
    });
    await f.t.store.db
      .insertInto('oauth_models')
      .values([sealedRow('AccessToken', 'expired-token', 'gone-grant', past), sealedRow('Grant', 'gone-grant', 'gone-grant', past), sealedRow('RefreshToken', 'orphan-token', 'orphan-grant', null)])
      .execute();
    await f.t.store.db
      .insertInto('oauth_grants')
      .values([
        { grant_hash: sha256Hex('gone-grant'), user_id: f.user.id, client_id: 'some-client', scopes: 'mcp:read', created_at: past, expires_at: past },
        { grant_hash: sha256Hex('orphan-grant'), user_id: f.user.id, client_id: 'a-client-that-expired', scopes: 'mcp:read', created_at: past, expires_at: null },
      ])
      .execute();
    await f.t.store.db.insertInto('oauth_grant_workspaces').values([{ grant_hash: sha256Hex('gone-grant'), workspace_id: f.acme.id }, { grant_hash: sha256Hex('orphan-grant'), workspace_id: f.acme.id }]).execute();
    const client = await register(f.server);
    const live = await obtainTokens(f.server, client, { workspaces: [f.acme.id] });

    await pruneOAuthState(f.t.store);
    const gone = [sha256Hex('expired-token'), sha256Hex('gone-grant'), sha256Hex('orphan-token')];
    expect(await f.t.store.db.selectFrom('oauth_models').select('id_hash').where('id_hash', 'in', gone).execute()).toEqual([]);
    const hashes = [sha256Hex('gone-grant'), sha256Hex('orphan-grant')];
    expect(await f.t.store.db.selectFrom('oauth_grants').selectAll().where('grant_hash', 'in', hashes).execute()).toEqual([]);
    expect(await f.t.store.db.selectFrom('oauth_grant_workspaces').selectAll().where('grant_hash', 'in', hashes).execute()).toEqual([]);
    expect(await status(live.access_token)).toBe(200); // live grants keep their workspaces
  });
});

describe('administration (conduit-mcp-server oauth grants|revoke)', () => {
  it('lists grants with user, client, workspaces and scopes, and revoking one cuts its tokens off at once', async () => {
    const client = await register(f.server, { client_name: 'Cursor' });
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.clinic.id], write: false }, { scope: 'mcp:read mcp:write' });
    const grant = (await listGrants(f.t.store)).find((g) => g.client_id === client.client_id);
    expect(grant).toMatchObject({ user_email: 'ana@example.com', client_name: 'Cursor', workspaces: ['northwind-clinic'], scopes: ['mcp:read'] });
    expect(await status(tokens.access_token)).toBe(200);

    expect(await revokeGrants(f.t.store, { grantId: grant!.id })).toBe(1);
    expect(await status(tokens.access_token)).toBe(401);
    expect((await refresh(client.client_id, tokens.refresh_token!)).body.error).toBe('invalid_grant');
    expect((await listGrants(f.t.store)).some((g) => g.id === grant!.id)).toBe(false);
    expect(await f.t.store.db.selectFrom('oauth_grant_workspaces').selectAll().where('grant_hash', 'like', `${grant!.id}%`).execute()).toEqual([]);
  });

  it('revokes every grant of one user', async () => {
    const a = await obtainTokens(f.server, await register(f.server), { workspaces: [f.acme.id] });
    const b = await obtainTokens(f.server, await register(f.server), { workspaces: [f.acme.id] });
    expect(await revokeGrants(f.t.store, { userId: f.user.id })).toBeGreaterThanOrEqual(2);
    expect(await status(a.access_token)).toBe(401);
    expect(await status(b.access_token)).toBe(401);
  });
});
