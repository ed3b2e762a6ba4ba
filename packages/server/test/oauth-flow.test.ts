import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, authorizeUrl, callTool, createOAuthFixture, obtainTokens, pkce, register, signInAndConsent, tokenRequest, type OAuthFixture } from './oauth-helpers.js';

let f: OAuthFixture;

beforeAll(async () => {
  f = await createOAuthFixture();
});
afterAll(async () => {
  await f.close();
});

describe('discovery', () => {
  it('serves RFC 8414 metadata at the path-inserted URL and the OpenID form, with the issuer derived from the public URL', async () => {
    const issuer = `${f.server.url}/oauth/mcp`;
    const urls = [
      `${f.server.url}/.well-known/oauth-authorization-server/oauth/mcp`,
      `${f.server.url}/.well-known/openid-configuration/oauth/mcp`,
      `${f.server.url}/oauth/mcp/.well-known/openid-configuration`,
      `${f.server.url}/.well-known/oauth-authorization-server`, // clients that predate path insertion
    ];
    for (const url of urls) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const metadata = (await res.json()) as Record<string, unknown>;
      expect(metadata.issuer).toBe(issuer);
      expect(metadata.authorization_endpoint).toBe(`${issuer}/auth`);
      expect(metadata.token_endpoint).toBe(`${issuer}/token`);
      expect(metadata.registration_endpoint).toBe(`${issuer}/reg`);
      expect(metadata.revocation_endpoint).toBe(`${issuer}/token/revocation`);
      expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
      expect(metadata.response_types_supported).toEqual(['code']);
      expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['mcp:read', 'mcp:write', 'offline_access']));
      expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
      expect(metadata).not.toHaveProperty('userinfo_endpoint');
    }
  });

  it('points the protected-resource metadata at the authorization server', async () => {
    const metadata = (await (await fetch(`${f.server.url}/.well-known/oauth-protected-resource/v1/mcp`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      resource: f.server.mcpUrl,
      authorization_servers: [`${f.server.url}/oauth/mcp`],
      scopes_supported: ['mcp:read', 'mcp:write'],
    });
  });
});

describe('the authorization code flow', () => {
  it('registers a client, signs in, grants one of two workspaces, and the token works only there', async () => {
    const client = await register(f.server, { client_name: 'Claude Desktop' });
    expect(client.client_id).toBeTruthy();
    expect(client).not.toHaveProperty('client_secret'); // a public client
    expect(client).not.toHaveProperty('registration_access_token');

    const { verifier, challenge } = pkce();
    const browser = new Browser(f.server.url);
    const first = await browser.follow(authorizeUrl(f.server, { client, challenge, scope: 'mcp:read mcp:write', state: 'xyz' }));
    const login = await first.res.text();
    expect(login).toContain('Sign in to Conduit');
    expect(login).toContain('Claude Desktop');
    const signedIn = await browser.submit(login, first.url, { email: 'ANA@example.com', password: 'correct horse battery staple' });
    const consent = await signedIn.res.text();
    expect(consent).toContain('Allow access to Conduit?');
    expect(consent).toContain('Claude Desktop');
    expect(consent).toContain('127.0.0.1:33418'); // the redirect host
    expect(consent).toContain('Acme Hotels');
    expect(consent).toContain('Northwind Clinic');
    expect(consent).toContain('Send messages and change data');
    expect(consent).toContain('Stay connected until you revoke access');

    const done = await browser.submit(consent, signedIn.url, { decision: 'allow', workspace: f.acme.id, write: 'on' });
    const redirect = new URL(done.url);
    expect(redirect.origin + redirect.pathname).toBe('http://127.0.0.1:33418/callback');
    expect(redirect.searchParams.get('state')).toBe('xyz');
    expect(redirect.searchParams.get('iss')).toBe(`${f.server.url}/oauth/mcp`); // RFC 9207

    const { status, body } = await tokenRequest(f.server, {
      grant_type: 'authorization_code',
      code: redirect.searchParams.get('code')!,
      code_verifier: verifier,
      redirect_uri: client.redirect_uris[0]!,
      client_id: client.client_id,
    });
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.scope.split(' ').sort()).toEqual(['mcp:read', 'mcp:write']);
    expect(body.refresh_token).toBeTruthy();
    expect(body.expires_in).toBe(3600);

    const listed = await callTool(f.server, body.access_token, 'list_workspaces', {});
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body.result?.structuredContent)).toContain('acme-hotels');
    expect(JSON.stringify(listed.body.result?.structuredContent)).not.toContain('northwind-clinic');

    const granted = await callTool(f.server, body.access_token, 'list_workspace_senders', { workspace_id: 'acme-hotels' });
    expect(granted.body.result?.isError).toBeFalsy();
    const other = await callTool(f.server, body.access_token, 'list_workspace_senders', { workspace_id: 'northwind-clinic' });
    expect(other.body.result?.isError).toBe(true);
    expect(other.body.result?.content[0]?.text).toMatch(/^forbidden: /);
  });

  it('defaults to mcp:read when the client asks for no scope, so write tools get 403 insufficient_scope', async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id] }, { scope: undefined });
    expect(tokens.scope).toBe('mcp:read');
    const write = await callTool(f.server, tokens.access_token, 'send_conversation_message', { workspace_id: 'acme-hotels' });
    expect(write.status, JSON.stringify(write.body)).toBe(403);
    expect(write.res.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", scope="mcp:read mcp:write", resource_metadata="${f.server.url}/.well-known/oauth-protected-resource/v1/mcp"`,
    );
  });

  it('lets the user untick "send messages and change data": the token is read-only', async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.acme.id, f.clinic.id], write: false }, { scope: 'mcp:read mcp:write' });
    expect(tokens.scope).toBe('mcp:read');
    const read = await callTool(f.server, tokens.access_token, 'list_workspace_senders', { workspace_id: 'northwind-clinic' });
    expect(read.body.result?.isError).toBeFalsy();
    const write = await callTool(f.server, tokens.access_token, 'send_conversation_message', { workspace_id: 'acme-hotels' });
    expect(write.status).toBe(403);
  });

  it('requires at least one workspace to approve, and "Deny" returns access_denied to the client', async () => {
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    const start = await browser.follow(authorizeUrl(f.server, { client, scope: 'mcp:read' }));
    const signedIn = await browser.submit(await start.res.text(), start.url, { email: 'ana@example.com', password: 'correct horse battery staple' });
    const consent = await signedIn.res.text();
    const none = await browser.submit(consent, signedIn.url, { decision: 'allow' });
    expect(none.res.status).toBe(400);
    const again = await none.res.text();
    expect(again).toContain('Choose at least one workspace');
    const denied = await browser.submit(again, none.url, { decision: 'deny' });
    const redirect = new URL(denied.url);
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('iss')).toBe(`${f.server.url}/oauth/mcp`);
    expect(redirect.searchParams.has('code')).toBe(false);
  });

  it('asks for consent on every authorization, even when the browser is still signed in', async () => {
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    await signInAndConsent(browser, authorizeUrl(f.server, { client, scope: 'mcp:read' }), { workspaces: [f.acme.id] });
    const second = await browser.follow(authorizeUrl(f.server, { client, scope: 'mcp:read' }));
    const page = await second.res.text();
    expect(page).not.toContain('Sign in to Conduit'); // the browser session is reused
    expect(page).toContain('Allow access to Conduit?');
  });

  it('issues refresh tokens for offline_access without prompt=consent, and not to clients without the refresh_token grant', async () => {
    const offline = await register(f.server, { grant_types: ['authorization_code', 'refresh_token'] });
    const tokens = await obtainTokens(f.server, offline, { workspaces: [f.acme.id] }, { scope: 'mcp:read offline_access' });
    expect(tokens.refresh_token).toBeTruthy();

    const codeOnly = await register(f.server, { grant_types: ['authorization_code'] });
    const noRefresh = await obtainTokens(f.server, codeOnly, { workspaces: [f.acme.id] }, { scope: 'mcp:read' });
    expect(noRefresh.refresh_token).toBeUndefined();
  });

  it('tells a token whose user lost every granted workspace that it is not scoped to any', async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { workspaces: [f.clinic.id] }, { scope: 'mcp:read' });
    await f.t.store.db.deleteFrom('memberships').where('user_id', '=', f.user.id).where('workspace_id', '=', f.clinic.id).execute();
    try {
      const res = await callTool(f.server, tokens.access_token, 'list_workspace_senders', { workspace_id: 'northwind-clinic' });
      expect(res.body.result?.isError).toBe(true);
      expect(res.body.result?.content[0]?.text).toContain('not scoped to any workspace');
      expect(res.body.result?.content[0]?.text).toContain('grant at least one workspace during consent');
    } finally {
      await f.t.store.db.insertInto('memberships').values({ user_id: f.user.id, workspace_id: f.clinic.id, role: 'member' }).execute();
    }
  });
});
