import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressSubject } from '../src/oauth/client-ip.js';
import { createConduitServer } from '../src/server.js';
import { authorizeUrl, Browser, concurrentWrongPasswords, createOAuthFixture, createUser, PASSWORD, register, signInAndConsent, type OAuthFixture } from './oauth-helpers.js';

/**
 * The per-address OAuth limits and the sign-in limits as an attacker meets them: a limit must
 * hold however the path is spelled, however many attempts arrive at once, on whichever replica,
 * and from whichever address of one IPv6 /64.
 */

function post(url: string, body: string, type = 'application/x-www-form-urlencoded', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': type, ...headers }, body, redirect: 'manual' });
}

const registration = JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' });

describe('per-address limits are decided on the route the provider runs', () => {
  let f: OAuthFixture;
  beforeAll(async () => {
    f = await createOAuthFixture({
      oauth: {
        rateLimits: { registration: { limit: 2, windowSeconds: 3600 }, token: { limit: 3, windowSeconds: 60 }, authorization: { limit: 3, windowSeconds: 60 } },
      },
    });
  });
  afterAll(() => f.close());

  it('registration: once /reg answers 429, so do /REG, /reg/ and /Reg', async () => {
    const statuses = [];
    for (let i = 0; i < 2; i++) statuses.push((await post(`${f.server.url}/oauth/mcp/reg`, registration, 'application/json')).status);
    expect(statuses).toEqual([201, 201]);
    for (const path of ['/oauth/mcp/reg', '/oauth/mcp/REG', '/oauth/mcp/reg/', '/oauth/mcp/Reg', '/oauth/mcp/rEG/']) {
      const res = await post(`${f.server.url}${path}`, registration, 'application/json');
      expect(res.status, path).toBe(429);
      expect(res.headers.get('ratelimit-policy'), path).toBe('"registration";q=2;w=3600');
    }
  });

  it('token and revocation: /TOKEN, /token/ and /Token/Revocation/ draw from the same budget', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(`${f.server.url}/oauth/mcp/token`, 'grant_type=authorization_code&code=x&client_id=y')).status);
    expect(statuses.every((s) => s === 400 || s === 401)).toBe(true);
    for (const path of ['/oauth/mcp/token', '/oauth/mcp/TOKEN', '/oauth/mcp/token/', '/oauth/mcp/Token/Revocation/']) {
      expect((await post(`${f.server.url}${path}`, 'grant_type=authorization_code&code=x&client_id=y')).status, path).toBe(429);
    }
  });

  it('authorization: GET and HEAD, however spelled, draw from one budget', async () => {
    const client = await register(f.server).catch(() => null);
    const clientId = client?.client_id ?? 'unknown-client';
    const auth = (path: string, method = 'GET') => fetch(`${f.server.url}${path}?client_id=${clientId}&response_type=code`, { method, redirect: 'manual' });
    for (let i = 0; i < 2; i++) expect((await auth('/oauth/mcp/auth')).status).not.toBe(429);
    expect((await auth('/oauth/mcp/AUTH/', 'HEAD')).status).not.toBe(429);
    for (const [path, method] of [['/oauth/mcp/auth', 'GET'], ['/oauth/mcp/AUTH', 'GET'], ['/oauth/mcp/auth/', 'GET'], ['/oauth/mcp/Auth', 'HEAD']] as const) {
      expect((await auth(path, method)).status, `${method} ${path}`).toBe(429);
    }
  });

  it('hands the provider nothing it was not meant to run: other spellings and unused routes are 404, other methods 405', async () => {
    for (const path of ['/oauth/mcp//reg', '/oauth/mcp/reg//', '/oauth/mcp/%72eg', '/oauth/mcp/session/end/confirm', '/oauth/mcp/me', '/oauth/mcp/request', '/oauth/mcp/reg/some-client-id', '/oauth/mcp/token/introspection']) {
      const res = await post(`${f.server.url}${path}`, 'x=1');
      expect(res.status, path).toBe(404);
    }
    const res = await fetch(`${f.server.url}/oauth/mcp/token`, { redirect: 'manual' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    // What clients do use still works, in its canonical and its tolerated spelling.
    expect((await fetch(`${f.server.url}/oauth/mcp/jwks`)).status).toBe(200);
    expect((await fetch(`${f.server.url}/oauth/mcp/JWKS/`)).status).toBe(200);
    expect((await fetch(`${f.server.url}/.well-known/oauth-authorization-server/oauth/mcp`)).status).toBe(200);
  });
});

describe('sign-in attempts are taken before the password is checked', () => {
  let f: OAuthFixture;
  beforeAll(async () => {
    // The product defaults: 5 attempts per account and 30 per address per 15 minutes.
    // Each test signs in from its own address (X-Forwarded-For from a trusted proxy), so one test's
    // attempts do not use up the next one's address budget.
    f = await createOAuthFixture({ trustedProxies: ['127.0.0.1'], oauth: { rateLimits: { authorization: { limit: 1000, windowSeconds: 60 } } } });
    for (let i = 0; i < 40; i++) await createUser(f.t.store, `user${i}@example.com`, [f.acme], 'their own password');
  });
  afterAll(() => f.close());

  it('checks exactly 5 of 40 simultaneous wrong passwords for one account', async () => {
    expect(await concurrentWrongPasswords(f.server, 40, () => 'ana@example.com', { 'x-forwarded-for': '198.51.100.1' })).toEqual({ 401: 5, 429: 35 });
  });

  it('checks exactly 30 of 40 simultaneous wrong passwords from one address, spread over 40 accounts', async () => {
    expect(await concurrentWrongPasswords(f.server, 40, (i) => `user${i}@example.com`, { 'x-forwarded-for': '198.51.100.2' })).toEqual({ 401: 30, 429: 10 });
  });

  it('holds across replicas on one database: two servers, 20 attempts each at once, 5 checked in all', async () => {
    const second = await createConduitServer({ store: f.t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, trustedProxies: ['127.0.0.1'] });
    try {
      await createUser(f.t.store, 'bea@example.com', [f.acme]);
      const [a, b] = await Promise.all([
        concurrentWrongPasswords(f.server, 20, () => 'bea@example.com', { 'x-forwarded-for': '203.0.113.1' }),
        concurrentWrongPasswords(second, 20, () => 'bea@example.com', { 'x-forwarded-for': '203.0.113.2' }),
      ]);
      expect((a[401] ?? 0) + (b[401] ?? 0)).toBe(5);
      expect((a[429] ?? 0) + (b[429] ?? 0)).toBe(35);
    } finally {
      await second.close();
    }
  });
});

describe('successful sign-ins', () => {
  let f: OAuthFixture;
  beforeAll(async () => {
    f = await createOAuthFixture({ oauth: { loginLimits: { perEmail: { limit: 2, windowSeconds: 900 }, perIp: { limit: 3, windowSeconds: 900 } } } });
  });
  afterAll(() => f.close());

  it('do not use up the address budget (one office network), and clear the account\'s failures', async () => {
    for (let i = 0; i < 5; i++) {
      const client = await register(f.server);
      const redirect = await signInAndConsent(new Browser(f.server.url), authorizeUrl(f.server, { client }), { workspaces: [f.acme.id] });
      expect(redirect.searchParams.get('code'), `sign-in ${i + 1}`).toBeTruthy();
    }
    // One failure, a success, then two more failures are allowed: the success refilled the account.
    const browser = new Browser(f.server.url);
    const client = await register(f.server);
    let step = await browser.follow(authorizeUrl(f.server, { client }));
    step = await browser.submit(await step.res.text(), step.url, { email: 'ana@example.com', password: 'wrong' });
    expect(step.res.status).toBe(401);
    step = await browser.submit(await step.res.text(), step.url, { email: 'ana@example.com', password: PASSWORD });
    expect(await step.res.text()).toContain('Allow access to Conduit?');
  });
});

describe('per-address limits and IPv6', () => {
  it('charge an IPv6 client by its /64', () => {
    expect(addressSubject('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('2001:0DB8:0001:0002:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressSubject('::1')).toBe('0:0:0:0::/64');
    expect(addressSubject('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressSubject('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
    expect(addressSubject('2001:db8:1:2:3:4:192.0.2.33')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('203.0.113.7')).toBe('203.0.113.7');
  });

  it('count every address of one /64 together on the OAuth endpoints, and another /64 apart', async () => {
    const f = await createOAuthFixture({ trustedProxies: ['127.0.0.1'], oauth: { rateLimits: { registration: { limit: 2, windowSeconds: 3600 } } } });
    try {
      const from = async (ip: string) => (await post(`${f.server.url}/oauth/mcp/reg`, registration, 'application/json', { 'x-forwarded-for': ip })).status;
      expect(await from('2001:db8:1:2::1')).toBe(201);
      expect(await from('2001:db8:1:2:aaaa::2')).toBe(201);
      expect(await from('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe(429);
      expect(await from('2001:db8:1:3::1')).toBe(201);
    } finally {
      await f.close();
    }
  });
});

describe('failed sign-ins are logged', () => {
  it('with the account and the client address, never the password or a typed name that is no account', async () => {
    let logs = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logs += chunk.toString()), done()) });
    const f = await createOAuthFixture({ logger: pino({ level: 'info' }, sink), trustedProxies: ['127.0.0.1'] });
    try {
      const client = await register(f.server);
      const browser = new Browser(f.server.url);
      let step = await browser.follow(authorizeUrl(f.server, { client }));
      step = await browser.submit(await step.res.text(), step.url, { email: 'Ana@Example.com', password: 'my-secret-guess-1' });
      expect(step.res.status).toBe(401);
      // A password typed into the email field.
      step = await browser.submit(await step.res.text(), step.url, { email: 'Tr0ub4dor&3-typed-as-email', password: 'my-secret-guess-2' });
      expect(step.res.status).toBe(401);

      const failures = logs
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'oauth sign-in failed');
      expect(failures).toHaveLength(2);
      expect(failures[0]).toMatchObject({ level: 40, user: f.user.id, email: 'ana@example.com', ip: '127.0.0.1' });
      expect(failures[1]).toMatchObject({ level: 40, user: null, ip: '127.0.0.1' });
      expect(failures[1]!.email_sha256).toMatch(/^[0-9a-f]{16}$/);
      for (const secret of ['my-secret-guess-1', 'my-secret-guess-2', 'Tr0ub4dor', PASSWORD]) expect(logs).not.toContain(secret);
    } finally {
      await f.close();
    }
  });
});
