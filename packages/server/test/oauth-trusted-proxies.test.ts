import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIp } from '../src/oauth/client-ip.js';
import { createOAuthFixture, type OAuthFixture } from './oauth-helpers.js';

/**
 * Per-IP limits behind a reverse proxy: every request then comes from the proxy's address, so
 * without `--trusted-proxies` all users share one sign-in and registration budget (and one
 * attacker's failed sign-ins throttle everyone). X-Forwarded-For is believed only from a trusted peer.
 */

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('clientIp', () => {
  const proxies = new Set(['127.0.0.1', '10.0.0.2']);

  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp(request('127.0.0.1', '203.0.113.7'))).toBe('127.0.0.1');
    expect(clientIp(request('::ffff:198.51.100.4'))).toBe('198.51.100.4');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientIp(request('198.51.100.4', '203.0.113.7'), proxies)).toBe('198.51.100.4');
  });

  it('takes the address a trusted proxy saw, skipping trusted hops, not what the client claimed', () => {
    expect(clientIp(request('::ffff:127.0.0.1', '203.0.113.7'), proxies)).toBe('203.0.113.7');
    // The client sent "X-Forwarded-For: 192.0.2.1"; nginx appended the real peer; a second proxy hop followed.
    expect(clientIp(request('127.0.0.1', '192.0.2.1, 203.0.113.7, 10.0.0.2'), proxies)).toBe('203.0.113.7');
    // A trusted peer without the header (a health check from the proxy host) is itself.
    expect(clientIp(request('127.0.0.1'), proxies)).toBe('127.0.0.1');
  });
});

describe('per-IP OAuth limits behind a proxy', () => {
  const limits = { rateLimits: { registration: { limit: 2, windowSeconds: 3600 } } };
  let trusting: OAuthFixture;
  let untrusting: OAuthFixture;

  beforeAll(async () => {
    trusting = await createOAuthFixture({ oauth: limits, trustedProxies: ['127.0.0.1'] });
    untrusting = await createOAuthFixture({ oauth: limits });
  });
  afterAll(async () => {
    await trusting?.close();
    await untrusting?.close();
  });

  async function registerFrom(f: OAuthFixture, forwardedFor: string): Promise<number> {
    const res = await fetch(`${f.server.url}/oauth/mcp/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' }),
    });
    await res.body?.cancel();
    return res.status;
  }

  it('counts each client separately when the proxy is trusted, and a client cannot dodge its own count', async () => {
    expect([await registerFrom(trusting, '203.0.113.7'), await registerFrom(trusting, '203.0.113.7')]).toEqual([201, 201]);
    expect(await registerFrom(trusting, '203.0.113.7')).toBe(429);
    // A forged left-most entry does not change the address the proxy appended.
    expect(await registerFrom(trusting, '192.0.2.99, 203.0.113.7')).toBe(429);
    expect(await registerFrom(trusting, '203.0.113.8')).toBe(201);
  });

  it('counts every request from an untrusted peer together, whatever X-Forwarded-For claims', async () => {
    expect([await registerFrom(untrusting, '203.0.113.7'), await registerFrom(untrusting, '203.0.113.8')]).toEqual([201, 201]);
    expect(await registerFrom(untrusting, '203.0.113.9')).toBe(429);
  });
});
