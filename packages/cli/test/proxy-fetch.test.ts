import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyFetch } from '../src/proxy-fetch.js';

// proxyFetch stands in for fetch wherever the CLI used it: the same answers, redirects and failures.
let server: Server;
let base: string;
const seen: Array<{ method: string; path: string; authorization?: string; body: string }> = [];

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await read(req);
    seen.push({ method: req.method ?? '', path: req.url ?? '', body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (req.url === '/keep') return res.writeHead(307, { location: '/echo' }).end();
    if (req.url === '/see-other') return res.writeHead(303, { location: '/echo' }).end();
    if (req.url === '/elsewhere') return res.writeHead(302, { location: base.replace('127.0.0.1', 'localhost') + '/echo' }).end();
    if (req.url === '/empty') return res.writeHead(204).end();
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 2_000);
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] }).end(JSON.stringify({ method: req.method, body }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe('proxyFetch', () => {
  it('sends the method, headers and body, and answers a Response', async () => {
    const response = await proxyFetch(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ a: 'b c' }), headers: { authorization: 'Bearer t' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ method: 'POST', body: 'a=b+c' });
    expect(seen.at(-1)!.authorization).toBe('Bearer t');
    expect((await proxyFetch(`${base}/empty`)).body).toBeNull();
  });

  it('follows redirects as fetch does: 307 keeps the POST, 303 turns it into a GET, another origin loses the authorization', async () => {
    seen.length = 0;
    expect(await (await proxyFetch(`${base}/keep`, { method: 'POST', body: 'x' })).json()).toEqual({ method: 'POST', body: 'x' });
    expect(await (await proxyFetch(`${base}/see-other`, { method: 'POST', body: 'x' })).json()).toEqual({ method: 'GET', body: '' });
    await (await proxyFetch(`${base}/elsewhere`, { headers: { authorization: 'Bearer t' } })).text();
    expect(seen.at(-2)!.authorization).toBe('Bearer t');
    expect(seen.at(-1)!.authorization).toBeUndefined();

    const manual = await proxyFetch(`${base}/keep`, { method: 'POST', body: 'x', redirect: 'manual' });
    expect(manual.status).toBe(307);
    expect(manual.headers.get('location')).toBe('/echo');
  });

  it('fails as fetch does: "fetch failed" with the socket error as cause, the signal\'s reason on a time-out', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const refused = await proxyFetch(`http://127.0.0.1:${port}/`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).message).toBe('fetch failed');
    expect(((refused as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

    const late = await proxyFetch(`${base}/slow`, { signal: AbortSignal.timeout(100) }).catch((error: unknown) => error);
    expect((late as Error).name).toBe('TimeoutError');
  });
});
