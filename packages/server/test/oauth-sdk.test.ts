import { auth, UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, createOAuthFixture, signInAndConsent, type OAuthFixture } from './oauth-helpers.js';

/**
 * The MCP SDK client's own OAuth support against our authorization server: RFC 9728 discovery
 * from the 401, RFC 8414 metadata, RFC 7591 registration, PKCE, RFC 8707 resource, code
 * exchange and refresh, all done by the SDK. Our only part is the "browser": it signs in and
 * picks workspaces with plain HTTP requests.
 */
class TestProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  /** The client's redirect URI with the code, once the browser got there. */
  callback: URL | undefined;

  constructor(
    private readonly workspaces: string[],
    private readonly base: string,
  ) {}

  get redirectUrl(): string {
    return 'http://127.0.0.1:47011/oauth/callback';
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'SDK test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL) {
    this.callback = await signInAndConsent(new Browser(this.base), url.href, { workspaces: this.workspaces });
  }
}

let f: OAuthFixture;

beforeAll(async () => {
  f = await createOAuthFixture();
});
afterAll(async () => {
  await f.close();
});

describe('the MCP SDK client OAuth flow', () => {
  it('auth() discovers, registers, authorizes with PKCE and exchanges the code; the transport then uses the token', async () => {
    const provider = new TestProvider([f.acme.id], f.server.url);
    expect(await auth(provider, { serverUrl: f.server.mcpUrl })).toBe('REDIRECT');
    expect(provider.client?.client_id).toBeTruthy();
    const code = provider.callback?.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(provider.callback?.searchParams.get('iss')).toBe(`${f.server.url}/oauth/mcp`);

    expect(await auth(provider, { serverUrl: f.server.mcpUrl, authorizationCode: code! })).toBe('AUTHORIZED');
    expect(provider.saved?.access_token).toBeTruthy();
    expect(provider.saved?.refresh_token).toBeTruthy();
    expect(provider.saved?.scope?.split(' ').sort()).toEqual(['mcp:read', 'mcp:write']); // what our resource metadata advertises

    const client = new Client({ name: 'sdk-oauth', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(f.server.mcpUrl), { authProvider: provider }));
    try {
      const listed = await client.callTool({ name: 'list_workspaces', arguments: {} });
      expect(JSON.stringify(listed.structuredContent)).toContain('acme-hotels');
      expect(JSON.stringify(listed.structuredContent)).not.toContain('northwind-clinic');
      const forbidden = await client.callTool({ name: 'list_workspace_senders', arguments: { workspace_id: 'northwind-clinic' } });
      expect(forbidden.isError).toBe(true);
    } finally {
      await client.close();
    }

    // With a stored refresh token, auth() refreshes (and stores the rotated refresh token).
    const before = provider.saved!;
    expect(await auth(provider, { serverUrl: f.server.mcpUrl })).toBe('AUTHORIZED');
    expect(provider.saved?.access_token).not.toBe(before.access_token);
    expect(provider.saved?.refresh_token).not.toBe(before.refresh_token);
  });

  it('the transport starts the flow by itself on the first 401 and finishes it with finishAuth()', async () => {
    const provider = new TestProvider([f.clinic.id], f.server.url);
    const transport = new StreamableHTTPClientTransport(new URL(f.server.mcpUrl), { authProvider: provider });
    const first = new Client({ name: 'sdk-oauth', version: '1.0.0' });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    await transport.finishAuth(provider.callback!.searchParams.get('code')!);

    const client = new Client({ name: 'sdk-oauth', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(f.server.mcpUrl), { authProvider: provider }));
    try {
      const senders = await client.callTool({ name: 'list_workspace_senders', arguments: { workspace_id: 'northwind-clinic' } });
      expect(senders.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
