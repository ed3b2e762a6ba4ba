import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createConduitServer, HTTP_TIMEOUTS, type ConduitServer } from '../src/server.js';
import { pino } from 'pino';
import { Browser, authorizeUrl, createOAuthFixture, PASSWORD, register, type OAuthFixture } from './oauth-helpers.js';

/** HTTP-level hardening: headers on every answer, JSON-RPC ids, and clients that send slowly. */

let f: OAuthFixture;
let token: string;

beforeAll(async () => {
  f = await createOAuthFixture();
  token = (await createApiToken(f.t.store, { name: 't', access: 'read_write', workspaceIds: [f.acme.id], expiresAt: null })).token;
});
afterAll(() => f.close());

function rpc(body: unknown): Promise<Response> {
  return fetch(f.server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

describe('X-Content-Type-Options: nosniff', () => {
  it('is on every response, whoever answers it', async () => {
    const base = f.server.url;
    const client = await register(f.server);
    const responses: Array<[string, Response]> = [
      ['MCP 200', await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' })],
      ['MCP 202', await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' })],
      ['MCP 401', await fetch(f.server.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })],
      ['MCP 415', await fetch(f.server.mcpUrl, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'x' })],
      ['404', await fetch(`${base}/nothing-here`)],
      ['403 rebinding', await fetch(`${base}/v1/mcp`, { headers: { origin: 'https://evil.example' } })],
      ['healthz', await fetch(`${base}/healthz`)],
      ['readyz', await fetch(`${base}/readyz`)],
      ['metrics', await fetch(`${base}/metrics`)],
      ['resource metadata', await fetch(`${base}/.well-known/oauth-protected-resource/v1/mcp`)],
      ['AS metadata', await fetch(`${base}/.well-known/oauth-authorization-server/oauth/mcp`)],
      ['jwks', await fetch(`${base}/oauth/mcp/jwks`)],
      ['token error', await fetch(`${base}/oauth/mcp/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=nope' })],
      ['sign-in page', (await new Browser(base).follow(authorizeUrl(f.server, { client }))).res],
      ['provider error page', await fetch(authorizeUrl(f.server, { client, redirectUri: 'https://evil.example/cb' }))],
    ];
    for (const [what, res] of responses) {
      expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
      await res.body?.cancel();
    }
  });
});

describe('the forms of the sign-in and consent pages', () => {
  it("post to this server only: CSP form-action 'self', plus the client's redirect origin their redirects end at", async () => {
    const client = await register(f.server, { redirect_uris: ['http://127.0.0.1:33418/callback'] });
    const browser = new Browser(f.server.url);
    let step = await browser.follow(authorizeUrl(f.server, { client, redirectUri: 'http://127.0.0.1:40001/callback' }));
    expect(step.res.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:40001;");
    step = await browser.submit(await step.res.text(), step.url, { email: 'ana@example.com', password: PASSWORD });
    expect(await step.res.text()).toContain('Allow access to Conduit?');
    expect(step.res.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:40001;");

    const web = await register(f.server, { redirect_uris: ['https://app.example.com/oauth/callback'] });
    const other = await new Browser(f.server.url).follow(authorizeUrl(f.server, { client: web }));
    expect(other.res.headers.get('content-security-policy')).toContain("form-action 'self' https://app.example.com;");
    // A page without a client to return to (an error page) allows this server alone.
    const error = await fetch(authorizeUrl(f.server, { client: web, redirectUri: 'https://evil.example/cb' }));
    expect(error.status).toBe(400);
    expect(error.headers.get('content-security-policy')).toContain("form-action 'self';");
  });
});

describe('JSON-RPC ids', () => {
  it('refuses a request whose id is not a string or an integer with -32600, instead of taking it for a response', async () => {
    for (const id of [1.5, true, { a: 1 }, [1], -0.25]) {
      const res = await rpc({ jsonrpc: '2.0', id, method: 'tools/list' });
      expect(res.status, JSON.stringify(id)).toBe(400);
      const body = (await res.json()) as { id: unknown; error: { code: number; message: string } };
      expect(body.id).toBeNull();
      expect(body.error).toEqual({ code: -32600, message: 'Invalid JSON-RPC request: "id" must be a string or an integer' });
    }
    // Responses to server requests are still accepted (and ignored); a response with a fractional id is not one.
    expect((await rpc({ jsonrpc: '2.0', id: 7, result: {} })).status).toBe(202);
    expect((await rpc({ jsonrpc: '2.0', id: 'a', error: { code: 1, message: 'x' } })).status).toBe(202);
    expect((await rpc({ jsonrpc: '2.0', id: 7.5, result: {} })).status).toBe(400);
    expect((await rpc({ jsonrpc: '2.0', id: 7, result: {}, error: {} })).status).toBe(400);
    // Strings and integers still work.
    expect((await rpc({ jsonrpc: '2.0', id: 'req-1', method: 'ping' })).status).toBe(200);
    expect((await rpc({ jsonrpc: '2.0', id: -3, method: 'ping' })).status).toBe(200);
  });
});

/** Opens a socket, writes `head`, then waits for whatever the server sends until it closes the connection. */
function slowClient(url: string, head: string): Promise<{ answer: string; socket: Socket }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, socket }));
  });
}

describe('slow clients', () => {
  it('get timeouts suited to an API by default (10 s for headers, 30 s for the request), not Node\'s 60 s and 300 s', () => {
    expect(f.server.httpServer.headersTimeout).toBe(10_000);
    expect(f.server.httpServer.requestTimeout).toBe(30_000);
    expect(HTTP_TIMEOUTS).toMatchObject({ headersMs: 10_000, requestMs: 30_000 });
  });

  describe('with short timeouts', () => {
    let server: ConduitServer;
    beforeAll(async () => {
      server = await createConduitServer({ store: f.t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, requestTimeout: 1.5, headersTimeoutMs: 1000 });
    });
    afterAll(() => server.close());

    it('answer 408 and disconnect a client that never finishes its headers', async () => {
      const { answer } = await slowClient(server.mcpUrl, `POST /v1/mcp HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nContent-Type: application/json\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('answer 408 and disconnect a client with a valid token that sends its body slowly', async () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
      const head = [
        'POST /v1/mcp HTTP/1.1',
        `Host: ${new URL(server.url).host}`,
        'Content-Type: application/json',
        `Authorization: Bearer ${token}`,
        `Content-Length: ${body.length}`,
      ].join('\r\n');
      // Half the body, then nothing more: the request never completes.
      const { answer } = await slowClient(server.mcpUrl, `${head}\r\n\r\n${body.slice(0, 10)}`);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    });
  });
});
