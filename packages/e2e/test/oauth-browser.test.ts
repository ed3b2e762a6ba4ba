import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { startServer, type ServerProcess } from '../src/server-process.js';

/**
 * The product page's OAuth story end to end: the real server process (`serve --demo`), a real
 * browser (headless Chromium) on our sign-in and consent pages, and a client that registers
 * itself, receives the code on a loopback redirect, exchanges it and calls tools.
 */

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const chromiumBrowser = useService('chromium', import.meta.url);
let server: ServerProcess;
let context: BrowserContext;
let profileDir: string;
let callbackServer: Server;
let callbackUrl: string;
/** Resolves with the URL the browser was redirected to on the loopback callback. */
let nextCallback: Promise<URL>;

/** Submits a form by clicking and waits for the page it leads to (forms post without JavaScript). */
async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

function expectCallback(): void {
  nextCallback = new Promise((resolve) => {
    callbackServer.removeAllListeners('request');
    callbackServer.on('request', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Connected. You can close this window.</p>');
      resolve(new URL(req.url ?? '/', callbackUrl));
    });
  });
}

beforeAll(async () => {
  server = await startServer({ demo: true });
  expect(server.demoUser, server.output()).toBeDefined();
  callbackServer = createServer();
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  profileDir = mkdtempSync(join(tmpdir(), 'conduit-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: chromiumBrowser.path, headless: true, args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await new Promise<void>((resolve) => (callbackServer ? callbackServer.close(() => resolve()) : resolve()));
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
});

describe.skipIf(!chromiumBrowser.available)('OAuth sign-in and consent in Chromium', () => {
  it('a new client registers, the demo user grants acme-hotels only, and the token works there and nowhere else', async () => {
    // 1. Discovery, as a client does after its first 401.
    const unauthorized = await fetch(server.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unauthorized.status).toBe(401);
    const prmUrl = /resource_metadata="([^"]+)"/.exec(unauthorized.headers.get('www-authenticate') ?? '')?.[1];
    const prm = (await (await fetch(prmUrl!)).json()) as { resource: string; authorization_servers: string[] };
    expect(prm.resource).toBe(server.mcpUrl);
    const issuer = prm.authorization_servers[0]!;
    const metadata = (await (await fetch(`${new URL(issuer).origin}/.well-known/oauth-authorization-server${new URL(issuer).pathname}`)).json()) as Record<string, string>;
    expect(metadata.issuer).toBe(issuer);

    // 2. Dynamic Client Registration.
    const registration = await fetch(metadata.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'E2E Desktop Client',
        redirect_uris: [callbackUrl],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(registration.status).toBe(201);
    const client = (await registration.json()) as { client_id: string };

    // 3. The browser: sign in, see the consent page, pick one of the two workspaces.
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(metadata.authorization_endpoint!);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: callbackUrl,
      scope: 'mcp:read mcp:write offline_access',
      resource: prm.resource,
      state: 'e2e-state',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })) {
      authorize.searchParams.set(key, value);
    }
    expectCallback();
    const page = await context.newPage();
    await page.goto(authorize.href);
    expect(await page.locator('h1').innerText()).toBe('Sign in to Conduit');
    expect(await page.title()).toBe('Sign in · Conduit');
    await page.fill('input[name=email]', server.demoUser!.email);
    await page.fill('input[name=password]', 'not the password');
    await clickAndWait(page, 'button[type=submit]');
    expect(await page.locator('.alert').innerText()).toBe('Incorrect email or password.');
    await page.fill('input[name=password]', server.demoUser!.password);
    await clickAndWait(page, 'button[type=submit]');

    expect(await page.locator('h1').innerText()).toBe('Allow access to Conduit?');
    const consent = await page.locator('main').innerText();
    expect(consent).toContain('E2E Desktop Client');
    expect(consent).toContain(new URL(callbackUrl).host);
    expect(consent).toContain('Send messages and change data');
    expect(consent).toContain('Stay connected until you revoke access');
    const workspaces = page.locator('input[name=workspace]');
    expect(await workspaces.count()).toBe(2);
    await page.locator('label.option', { hasText: 'acme-hotels' }).locator('input[name=workspace]').check();
    await clickAndWait(page, 'button[value=allow]');

    const redirect = await nextCallback;
    expect(redirect.searchParams.get('state')).toBe('e2e-state');
    expect(redirect.searchParams.get('iss')).toBe(issuer);
    const code = redirect.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(await page.locator('body').innerText()).toContain('Connected');
    await page.close();

    // 4. Token exchange with the PKCE verifier.
    const tokenResponse = await fetch(metadata.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: callbackUrl, client_id: client.client_id, resource: prm.resource }),
    });
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(tokens.refresh_token).toBeTruthy();

    // 5. Tools with the OAuth access token: the granted workspace works, the other is forbidden.
    const mcp = new Client({ name: 'e2e-oauth', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } } }));
    try {
      const listed = await mcp.callTool({ name: 'list_workspaces', arguments: {} });
      expect(JSON.stringify(listed.structuredContent)).toContain('acme-hotels');
      expect(JSON.stringify(listed.structuredContent)).not.toContain('northwind-clinic');
      const tickets = await mcp.callTool({ name: 'list_helpdesk_tickets', arguments: { workspace_id: 'acme-hotels', limit: 5 } });
      expect(tickets.isError, JSON.stringify(tickets.content)).toBeFalsy();
      const other = await mcp.callTool({ name: 'list_helpdesk_tickets', arguments: { workspace_id: 'northwind-clinic', limit: 5 } });
      expect(other.isError).toBe(true);
      expect((other.content as Array<{ text: string }>)[0]?.text).toMatch(/^forbidden: /);
    } finally {
      await mcp.close();
    }
  });

  it('an unregistered redirect URI gets an error page in the browser and no redirect', async () => {
    const registration = await fetch(`${server.url}/oauth/mcp/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Other', redirect_uris: [callbackUrl], token_endpoint_auth_method: 'none' }),
    });
    const client = (await registration.json()) as { client_id: string };
    const authorize = new URL(`${server.url}/oauth/mcp/auth`);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: 'https://attacker.example/callback',
      code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'),
      code_challenge_method: 'S256',
    })) {
      authorize.searchParams.set(key, value);
    }
    const page = await context.newPage();
    const response = await page.goto(authorize.href);
    expect(response?.status()).toBe(400);
    expect(new URL(page.url()).origin).toBe(server.url);
    expect(await page.locator('h1').innerText()).toBe('This connection request cannot continue');
    await page.close();
  });
});
