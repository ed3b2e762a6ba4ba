import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace } from './helpers.js';
import { Browser, authorizeUrl, createOAuthFixture, obtainTokens, PASSWORD, register, signInAndConsent, type OAuthFixture } from './oauth-helpers.js';

let f: OAuthFixture;

beforeAll(async () => {
  // Small limits so the tests can reach them; the login limit per IP stays above what the
  // other tests in this file use.
  f = await createOAuthFixture({
    oauth: {
      rateLimits: { registration: { limit: 40, windowSeconds: 3600 } },
      loginLimits: { perEmail: { limit: 3, windowSeconds: 900 }, perIp: { limit: 50, windowSeconds: 900 } },
    },
  });
});
afterAll(async () => {
  await f.close();
});

/** Starts an authorization and returns where the server sent the browser, without following it. */
async function firstHop(url: string): Promise<Response> {
  return fetch(url, { redirect: 'manual' });
}

describe('authorization request validation', () => {
  it('requires PKCE: a missing challenge is refused back to the client, without a code', async () => {
    const client = await register(f.server);
    const res = await firstHop(authorizeUrl(f.server, { client, challenge: null }));
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe('http://127.0.0.1:33418');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('refuses the plain PKCE method', async () => {
    const client = await register(f.server);
    const res = await firstHop(authorizeUrl(f.server, { client, challenge: 'a'.repeat(43), method: 'plain' }));
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/code_challenge_method/);
  });

  it('shows an error page, and never redirects, for an unregistered redirect URI', async () => {
    const client = await register(f.server, { redirect_uris: ['https://app.example.com/callback'] });
    for (const redirectUri of ['https://evil.example/callback', 'https://app.example.com/callback/extra', 'https://app.example.com/callback?x=1']) {
      const res = await firstHop(authorizeUrl(f.server, { client, redirectUri }));
      expect(res.status, redirectUri).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      const page = await res.text();
      expect(page).toContain('This connection request cannot continue');
      expect(page).toContain('invalid_redirect_uri');
      expect(page).not.toContain('evil.example');
    }
  });

  it('accepts any port on a loopback redirect URI for native clients (RFC 8252), and nothing else', async () => {
    const client = await register(f.server, { redirect_uris: ['http://127.0.0.1:1111/callback'] });
    expect(client.application_type).toBe('native');
    const browser = new Browser(f.server.url);
    const redirect = await signInAndConsent(browser, authorizeUrl(f.server, { client, redirectUri: 'http://127.0.0.1:2222/callback' }), { workspaces: [f.acme.id] });
    expect(redirect.origin).toBe('http://127.0.0.1:2222');
    expect(redirect.searchParams.get('code')).toBeTruthy();
    for (const redirectUri of ['http://127.0.0.1:2222/other', 'http://localhost:2222/callback']) {
      expect((await firstHop(authorizeUrl(f.server, { client, redirectUri }))).status, redirectUri).toBe(400);
    }
  });

  it('refuses plain-http redirect URIs on anything but loopback at registration, however the scheme is spelled', async () => {
    const uris = ['http://app.example.com/cb', 'HTTP://evil.example/cb', 'Http://evil.example/cb', 'hTTp://evil.example/cb', 'HTTP://127.0.0.1.evil.example/cb', 'HTTP://LOCALHOST.evil.example/cb'];
    for (const uri of uris) {
      const res = await fetch(`${f.server.url}/oauth/mcp/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://app.example.com/cb', uri], token_endpoint_auth_method: 'none' }),
      });
      expect(res.status, uri).toBe(400);
      expect(((await res.json()) as { error: string }).error, uri).toBe('invalid_redirect_uri');
    }
  });

  it('judges loopback by the parsed host and scheme: an upper-case loopback URI is a native client', async () => {
    const client = await register(f.server, { redirect_uris: ['HTTP://LOCALHOST:4444/callback', 'http://[::1]:4444/callback'] });
    expect(client.application_type).toBe('native');
  });

  it('answers an unknown resource indicator with invalid_target', async () => {
    const client = await register(f.server);
    const res = await firstHop(authorizeUrl(f.server, { client, resource: 'https://other.example/v1/mcp' }));
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_target');
  });

  it('binds the code to its verifier and redirect URI', async () => {
    const client = await register(f.server);
    await expect(obtainTokens(f.server, client, { workspaces: [f.acme.id] }, { challenge: 'x'.repeat(43) })).rejects.toThrow(/invalid_grant/);
  });
});

describe('the sign-in and consent pages', () => {
  it('cannot be framed, run no script, and are not cached', async () => {
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    const { res } = await browser.follow(authorizeUrl(f.server, { client }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).not.toMatch(/<script/i);
    expect(page).toMatch(/<form method="post"/);
  });

  it('refuse a form posted without the CSRF token', async () => {
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    const start = await browser.follow(authorizeUrl(f.server, { client }));
    const page = await start.res.text();
    const forged = await browser.submit(page, start.url, { email: 'ana@example.com', password: PASSWORD }, ['csrf']);
    expect(forged.res.status).toBe(403);
    const retry = await forged.res.text();
    expect(retry).toContain('Please try again');
    // The re-rendered form carries a fresh token and works.
    const signedIn = await browser.submit(retry, forged.url, { email: 'ana@example.com', password: PASSWORD });
    expect(await signedIn.res.text()).toContain('Allow access to Conduit?');
  });

  it('refuse a form from a browser that did not start the authorization', async () => {
    const client = await register(f.server);
    const victim = new Browser(f.server.url);
    const start = await victim.follow(authorizeUrl(f.server, { client }));
    const page = await start.res.text();
    const attacker = new Browser(f.server.url);
    const res = await attacker.submit(page, start.url, { email: 'ana@example.com', password: PASSWORD });
    expect(res.res.status).toBe(400);
    expect(await res.res.text()).toContain('This sign-in page has expired');
  });

  it('escape client-supplied names', async () => {
    const client = await register(f.server, { client_name: '<img src=x onerror=alert(1)>' });
    const browser = new Browser(f.server.url);
    const page = await (await browser.follow(authorizeUrl(f.server, { client }))).res.text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('throttle failed sign-ins per email, even with the right password afterwards', async () => {
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    let step = await browser.follow(authorizeUrl(f.server, { client }));
    let page = await step.res.text();
    for (let i = 0; i < 3; i++) {
      step = await browser.submit(page, step.url, { email: 'ana@example.com', password: `wrong password ${i}` });
      expect(step.res.status).toBe(401);
      page = await step.res.text();
      expect(page).toContain('Incorrect email or password.');
    }
    step = await browser.submit(page, step.url, { email: 'ana@example.com', password: PASSWORD });
    expect(step.res.status).toBe(429);
    expect(await step.res.text()).toMatch(/Too many failed sign-in attempts\. Try again in \d+ minutes?\./);
    await f.t.store.bucketDb().deleteFrom('rate_limit_buckets').where('key', 'like', 'sign-in-%').execute();
  });

  it('give unknown emails the same answer as wrong passwords', async () => {
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    const step = await browser.follow(authorizeUrl(f.server, { client }));
    const res = await browser.submit(await step.res.text(), step.url, { email: 'nobody@example.com', password: PASSWORD });
    expect(res.res.status).toBe(401);
    expect(await res.res.text()).toContain('Incorrect email or password.');
  });

  it('only grant workspaces the user belongs to', async () => {
    const client = await register(f.server);
    const foreign = await createWorkspace(f.t.store, 'foreign', 'Foreign');
    const browser = new Browser(f.server.url);
    const redirect = await signInAndConsent(browser, authorizeUrl(f.server, { client }), { workspaces: [foreign.id, f.acme.id] });
    expect(redirect.searchParams.get('code')).toBeTruthy();
    const rows = await f.t.store.db.selectFrom('oauth_grant_workspaces').select('workspace_id').where('workspace_id', '=', foreign.id).execute();
    expect(rows).toEqual([]);
  });
});

describe('per-IP rate limits', () => {
  it('limit dynamic client registration with 429 and Retry-After', async () => {
    const attempts: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 45; i++) {
      last = await fetch(`${f.server.url}/oauth/mcp/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' }),
      });
      attempts.push(last.status);
      if (last.status === 429) break;
    }
    expect(attempts.at(-1)).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await last!.json()) as { error: string }).error).toBe('rate_limited');
  });
});
