import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, FormBrowser, pkce, registerClient, signInAndConsent, tokenRequest, type RegisteredClient } from '../src/oauth-http.js';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';
import { connectClient, createToken, dataFingerprint, errorCode, findFixtures, openDatabase, rawCall, type Fixtures, type ReadOnlyDb, type ToolResult } from './write-helpers.js';

/**
 * Attacks on a real server process (`serve --demo`, debug logging) that the in-process suites
 * do not make end to end: a token of one workspace aimed at another, forged and transplanted
 * cursors, hostile redirect URIs at registration and at the authorization endpoint, sign-in
 * brute force, and finally a grep of everything the process printed for the secrets it saw.
 */

let server: ServerProcess;
let db: ReadOnlyDb;
let fx: Fixtures;
/** read_write on acme-hotels only. */
let acmeToken: string;
/** read_only on northwind-clinic only. */
let clinicToken: string;
let acmeId: string;
let clinicId: string;
/** Everything secret this run handled; none of it may reach the logs. */
const secrets = new Map<string, string>();
/** How much the process printed by the end of start-up: the banner shows the demo token and password once, by design. */
let bannerLength = 0;

const run = promisify(execFile);

beforeAll(async () => {
  server = await startServer({ demo: true, env: { LOG_LEVEL: 'debug' } });
  if (!server.token || !server.demoUser) throw new Error(`serve --demo printed no token or login:\n${server.output()}`);
  bannerLength = server.output().length;
  secrets.set('demo token', server.token);
  secrets.set('demo password', server.demoUser.password);
  acmeToken = await createToken(server.dataDir, 'read_write', ['acme-hotels']);
  clinicToken = await createToken(server.dataDir, 'read_only', ['northwind-clinic']);
  secrets.set('acme token', acmeToken);
  secrets.set('clinic token', clinicToken);
  const client = await connectClient(server.mcpUrl, server.token);
  fx = await findFixtures(client);
  const workspaces = (await client.callTool({ name: 'list_workspaces', arguments: {} })).structuredContent as { data: Array<{ id: string; slug: string }> };
  await client.close();
  acmeId = workspaces.data.find((w) => w.slug === 'acme-hotels')!.id;
  clinicId = workspaces.data.find((w) => w.slug === 'northwind-clinic')!.id;
  db = openDatabase(server.dataDir);
}, 120_000);

afterAll(async () => {
  db?.close();
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
});

function call(token: string, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return rawCall(server.mcpUrl, token, name, args).then((response) => {
    expect(response.status, `${name} ${JSON.stringify(args)}`).toBe(200);
    return response.result!;
  });
}

/** The error text with the workspace name taken out, to compare answers for different names. */
function withoutName(result: ToolResult, name: string): string {
  return result.content[0]!.text.replace(name, '<workspace>');
}

describe('a token of one workspace used on another', () => {
  it('is forbidden on every kind of tool, by id and by slug, exactly like a workspace that does not exist, and writes nothing', async () => {
    const before = dataFingerprint(db);
    const clinicNode = db.prepare('SELECT id FROM knowledge_nodes WHERE workspace_id = ? LIMIT 1').get(clinicId)!.id as string;
    const calls: Array<[string, Record<string, unknown>]> = [
      ['list_contacts', {}],
      ['get_contact', { contact_id: fx.otherContactId }],
      ['search_conversations', { query: 'appointment' }],
      ['list_conversation_messages', { conversation_id: fx.otherConversationId }],
      ['list_tickets', { status: 'open' }],
      ['search_knowledge', { query: 'opening hours' }],
      ['list_workspace_senders', {}],
      ['list_agents', {}],
      ['send_conversation_message', { conversation_id: fx.otherConversationId, body: 'Cross-workspace send', idempotency_key: randomUUID() }],
      ['create_contact', { email: 'intruder@example.com' }],
      ['patch_contact', { contact_id: fx.otherContactId, first_name: 'Mallory' }],
      ['delete_knowledge_node', { node_id: clinicNode, recursive: true }],
    ];
    // A workspace that does not exist, named both ways: the answer to compare with.
    const unknown = await call(acmeToken, 'list_contacts', { workspace_id: 'globex-corp' });
    expect(errorCode(unknown)).toBe('forbidden');
    for (const [name, args] of calls) {
      for (const workspace of ['northwind-clinic', clinicId]) {
        const result = await call(acmeToken, name, { ...args, workspace_id: workspace });
        expect(errorCode(result), `${name} on ${workspace}`).toBe('forbidden');
        expect(withoutName(result, workspace)).toBe(withoutName(unknown, 'globex-corp'));
        expect(JSON.stringify(result)).not.toContain('Northwind'); // nothing of the other workspace leaks
      }
    }
    const byId = await call(acmeToken, 'list_contacts', { workspace_id: `wp_${'0'.repeat(16)}` });
    expect(withoutName(byId, `wp_${'0'.repeat(16)}`)).toBe(withoutName(unknown, 'globex-corp'));
    expect(dataFingerprint(db)).toBe(before);
  });

  it('cannot reach the other workspace\'s records through its own workspace either', async () => {
    for (const [name, args] of [
      ['get_contact', { contact_id: fx.otherContactId }],
      ['get_conversation', { conversation_id: fx.otherConversationId }],
      ['list_conversation_messages', { conversation_id: fx.otherConversationId }],
    ] as const) {
      const result = await call(acmeToken, name, { ...args, workspace_id: 'acme-hotels' });
      expect(errorCode(result), name).toBe('not_found');
    }
    const lists = (await call(acmeToken, 'list_workspaces', {})).structuredContent as { data: Array<{ slug: string }> };
    expect(lists.data.map((w) => w.slug)).toEqual(['acme-hotels']);
  });

  it('a token revoked by the admin CLI in another process is refused on its very next request', async () => {
    const token = await createToken(server.dataDir, 'read_only', ['acme-hotels']);
    secrets.set('revoked token', token);
    expect((await rawCall(server.mcpUrl, token, 'list_workspaces', {})).status).toBe(200);
    const { stdout } = await run(process.execPath, [SERVER_CLI, 'tokens', 'list', '--data-dir', server.dataDir, '--json'], { timeout: 30_000 });
    const rows = JSON.parse(stdout) as Array<{ id: string; prefix: string; revoked_at: string | null }>;
    expect(stdout).not.toContain(token); // the list shows prefixes, never secrets
    const matching = rows.filter((r) => token.startsWith(r.prefix) && r.revoked_at === null);
    expect(matching).toHaveLength(1);
    await run(process.execPath, [SERVER_CLI, 'tokens', 'revoke', matching[0]!.id, '--data-dir', server.dataDir], { timeout: 30_000 });
    const refused = await rawCall(server.mcpUrl, token, 'list_workspaces', {});
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // One character changed, or a well-formed token nobody issued: the same 401.
    const flipped = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
    for (const bogus of [flipped, `capi_${randomBytes(32).toString('hex').slice(0, 52)}`]) {
      expect((await rawCall(server.mcpUrl, bogus, 'list_workspaces', {})).status).toBe(401);
    }
  });
});

describe('cursors over HTTP', () => {
  it('a forged, tampered or transplanted cursor is invalid_argument, never a page of other data', async () => {
    const first = (await call(server.token!, 'list_contacts', { workspace_id: 'acme-hotels', limit: 2 })).structuredContent as { next_cursor: string };
    const cursor = first.next_cursor;
    expect(cursor).toMatch(/^[\w-]+\.[\w-]+$/);
    // The genuine continuation works (the control).
    expect((await call(server.token!, 'list_contacts', { workspace_id: 'acme-hotels', limit: 2, cursor })).isError).toBeUndefined();
    const [payload, mac] = cursor.split('.') as [string, string];
    const forgedPayload = Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', 0])).toString('base64url');
    const flip = (text: string) => `${text.slice(0, -2)}${text.at(-2) === 'A' ? 'B' : 'A'}${text.at(-1)}`;
    const attempts: Array<[string, string, Record<string, unknown>]> = [
      ['another tool', 'list_conversations', { workspace_id: 'acme-hotels', cursor }],
      ['another filter', 'list_contacts', { workspace_id: 'acme-hotels', archived: true, cursor }],
      ['another workspace the token may read', 'list_contacts', { workspace_id: 'northwind-clinic', cursor }],
      ['the same workspace by id (same query)', 'list_contacts', { workspace_id: acmeId, limit: 2, cursor }],
      ['a payload of our choosing with the real MAC', 'list_contacts', { workspace_id: 'acme-hotels', cursor: `${forgedPayload}.${mac}` }],
      ['a tampered MAC', 'list_contacts', { workspace_id: 'acme-hotels', cursor: `${payload}.${flip(mac)}` }],
      ['no MAC', 'list_contacts', { workspace_id: 'acme-hotels', cursor: payload }],
      ['three parts', 'list_contacts', { workspace_id: 'acme-hotels', cursor: `${cursor}.${mac}` }],
      ['SQL in a cursor', 'list_contacts', { workspace_id: 'acme-hotels', cursor: "1' OR '1'='1" }],
      ['unicode', 'list_contacts', { workspace_id: 'acme-hotels', cursor: '𝔠𝔲𝔯𝔰𝔬𝔯.\u202e\ufeff' }],
    ];
    for (const [what, name, args] of attempts) {
      const result = await call(server.token!, name, args);
      // The same workspace named by id is the same query: it may continue. Everything else is refused.
      if (what.startsWith('the same workspace')) {
        expect(result.isError, what).toBeUndefined();
        continue;
      }
      expect(errorCode(result), what).toBe('invalid_argument');
      expect(result.content[0]!.text, what).toMatch(/cursor is not valid for this query/);
    }
    // A cursor of a search is bound to its query text.
    const search = (await call(server.token!, 'search_conversations', { workspace_id: 'acme-hotels', query: 'booking', limit: 1 })).structuredContent as { next_cursor: string | null };
    expect(search.next_cursor).not.toBeNull();
    const other = await call(server.token!, 'search_conversations', { workspace_id: 'acme-hotels', query: 'refund', limit: 1, cursor: search.next_cursor });
    expect(errorCode(other)).toBe('invalid_argument');
  });
});

describe('hostile redirect URIs', () => {
  it('dynamic client registration refuses script, data, file, non-loopback http, relative and fragment URIs', async () => {
    const hostile = [
      'javascript:alert(document.domain)//',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'http://evil.example/callback',
      'http://127.0.0.1.evil.example/callback',
      'https://app.example.com/callback#fragment',
      '//evil.example/callback',
    ];
    for (const uri of hostile) {
      const { status, body } = await registerClient(server.url, { redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(status, uri).toBe(400);
      expect(body.error, uri).toBe('invalid_redirect_uri');
      expect(body.client_id, uri).toBeUndefined();
    }
    // One hostile URI beside a good one spoils the whole registration.
    const mixed = await registerClient(server.url, { redirect_uris: ['https://app.example.com/callback', 'javascript:alert(1)//'], token_endpoint_auth_method: 'none' });
    expect(mixed.status).toBe(400);
  });

  it('the authorization endpoint answers an unregistered or disguised redirect_uri with an error page and no redirect', async () => {
    const { body } = await registerClient(server.url, { redirect_uris: ['https://app.example.com/callback'], token_endpoint_auth_method: 'none' });
    const clientId = body.client_id as string;
    const disguised = [
      'https://evil.example/callback',
      'https://app.example.com.evil.example/callback',
      'https://app.example.com@evil.example/callback',
      'https://app.example.com/callback/../../evil.example',
      'https://app.example.com/callback/extra',
      'https://app.example.com/callback?next=https://evil.example/',
      'https://app.example.com/callback#@evil.example',
      '//evil.example/callback',
      '/\\evil.example/callback',
      'https:evil.example',
      'https://app.example.com:443/callback',
    ];
    const { challenge } = pkce();
    const requests = [
      ...disguised.map((redirectUri) => ({ client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256' })),
      // A client that does not exist, with a foreign redirect_uri: nothing to check it against.
      { client_id: 'no-such-client', redirect_uri: 'https://evil.example/callback', code_challenge: challenge, code_challenge_method: 'S256' },
    ];
    for (const params of requests) {
      const res = await fetch(authorizeUrl(server.url, params), { redirect: 'manual' });
      expect(res.status, params.redirect_uri).toBe(400);
      expect(res.headers.get('location'), params.redirect_uri).toBeNull();
      const page = await res.text();
      expect(page).toContain('This connection request cannot continue');
      expect(page, params.redirect_uri).not.toContain('evil.example');
    }
    // The registered URI itself proceeds to sign-in on this server, not elsewhere.
    const ok = await fetch(authorizeUrl(server.url, { client_id: clientId, redirect_uri: 'https://app.example.com/callback', code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect(new URL(ok.headers.get('location')!, server.url).pathname).toMatch(/^\/oauth\/mcp\/interaction\//);
  });

  it('a registered URI that hides its host behind userinfo is shown on the consent page by its real host', async () => {
    const uri = 'https://app.example.com@evil.example/callback';
    const { status, body } = await registerClient(server.url, { redirect_uris: [uri], token_endpoint_auth_method: 'none', client_name: 'Looks Legit' });
    expect(status).toBe(201);
    const browser = new FormBrowser(server.url);
    const start = await browser.follow(authorizeUrl(server.url, { client_id: body.client_id as string, redirect_uri: uri, code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    const signedIn = await browser.submit(await start.res.text(), start.url, { email: server.demoUser!.email, password: server.demoUser!.password });
    const consent = await signedIn.res.text();
    expect(consent).toContain('Allow access to Conduit?');
    expect(consent).toContain('will receive access at evil.example');
    expect(consent).not.toContain('access at app.example.com');
  });
});

describe('sign-in brute force over HTTP', () => {
  it('locks an account after repeated wrong passwords, even for the right one, and leaves other accounts alone', async () => {
    const password = `target-${randomBytes(9).toString('base64url')}`;
    secrets.set('target password', password);
    const create = run(process.execPath, [SERVER_CLI, 'users', 'create', '--data-dir', server.dataDir, '--email', 'target@example.com', '--workspace', 'acme-hotels', '--password-stdin'], { timeout: 30_000 });
    create.child.stdin!.end(`${password}\n`);
    await create;
    const { body } = await registerClient(server.url, { redirect_uris: ['http://127.0.0.1:9/callback'], token_endpoint_auth_method: 'none' });
    const browser = new FormBrowser(server.url);
    let step = await browser.follow(authorizeUrl(server.url, { client_id: body.client_id as string, redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    let page = await step.res.text();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const guess = `guess-${i}-${randomBytes(6).toString('hex')}`;
      secrets.set(`wrong password ${i}`, guess);
      step = await browser.submit(page, step.url, { email: 'target@example.com', password: guess });
      statuses.push(step.res.status);
      page = await step.res.text();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    step = await browser.submit(page, step.url, { email: 'target@example.com', password });
    expect(step.res.status).toBe(429);
    expect(await step.res.text()).toMatch(/Too many failed sign-in attempts\. Try again in \d+ minutes?\./);
    // The lock is per account: the demo user still signs in from the same address (the final test does).
  });
});

describe('after all of that and a full OAuth login', () => {
  it('no token, code, client secret, verifier or password appears in anything the server printed', async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server/oauth/mcp`)).json()) as Record<string, string>;
    const callback = 'http://127.0.0.1:9/callback';
    const registration = await registerClient(server.url, { redirect_uris: [callback], token_endpoint_auth_method: 'client_secret_basic' });
    expect(registration.status).toBe(201);
    const client = registration.body as unknown as RegisteredClient;
    expect(client.client_secret).toBeTruthy();
    secrets.set('client secret', client.client_secret!);
    const { verifier, challenge } = pkce();
    secrets.set('PKCE verifier', verifier);
    const redirect = await signInAndConsent(
      new FormBrowser(server.url),
      authorizeUrl(server.url, { client_id: client.client_id, redirect_uri: callback, scope: 'mcp:read mcp:write offline_access', code_challenge: challenge, code_challenge_method: 'S256' }),
      { email: server.demoUser!.email, password: server.demoUser!.password, workspaces: [acmeId] },
    );
    const code = redirect.searchParams.get('code')!;
    secrets.set('authorization code', code);
    const issued = await tokenRequest(server.url, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: callback, resource: server.mcpUrl });
    expect(issued.status).toBe(200);
    secrets.set('access token', issued.body.access_token!);
    secrets.set('refresh token', issued.body.refresh_token!);
    // Use it, replay the code (refused), rotate the refresh token, reuse the old one (refused), revoke.
    expect((await rawCall(server.mcpUrl, issued.body.access_token!, 'list_contacts', { workspace_id: 'acme-hotels', limit: 1 })).status).toBe(200);
    const replay = await tokenRequest(server.url, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: callback });
    expect(replay.body.error).toBe('invalid_grant');
    const rotated = await tokenRequest(server.url, client, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token!, resource: server.mcpUrl });
    if (rotated.status === 200) {
      secrets.set('rotated access token', rotated.body.access_token!);
      secrets.set('rotated refresh token', rotated.body.refresh_token!);
    }
    const reused = await tokenRequest(server.url, client, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token!, resource: server.mcpUrl });
    expect(reused.body.error).toBe('invalid_grant');
    const revoke = await fetch(metadata.revocation_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret!)}`).toString('base64')}` },
      body: new URLSearchParams({ token: issued.body.access_token! }),
    });
    expect(revoke.status).toBe(200);
    // A token sent in the query string is refused and must not be logged with the URL either.
    expect((await fetch(`${server.mcpUrl}?access_token=${acmeToken}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);

    // Give the process a moment to flush its last log lines, then read everything after the banner.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const logs = server.output().slice(bannerLength);
    expect(logs.length).toBeGreaterThan(1000); // debug logging was on: there is plenty to search
    expect(logs).toContain('"request_id"');
    for (const [what, secret] of secrets) {
      expect(secret.length, what).toBeGreaterThan(8);
      expect(logs.includes(secret), `${what} appears in the server's output`).toBe(false);
    }
    expect(logs).not.toMatch(/capi_[0-9a-z]{20,}/i);
    expect(logs).not.toMatch(/authorization"?\s*[:=]\s*"?(bearer|basic)/i);
    expect(logs).not.toMatch(/code_verifier|client_secret=|refresh_token=|password=/i);
  });
});
