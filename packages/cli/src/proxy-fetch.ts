import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { proxyFor, tunnelAgent } from './proxy.js';
import { CLI_VERSION } from './version.js';

const CONNECT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 20;
const NULL_BODY_STATUS = new Set([204, 205, 304]);

/**
 * fetch for every request of the CLI other than the bridge's MCP connection — OAuth discovery,
 * registration, code exchange, refresh and revocation, and the commands' MCP calls — with the same
 * proxy decision as the bridge (proxyFor: HTTPS_PROXY / HTTP_PROXY / NO_PROXY, a proxy setting that
 * cannot be used fails every request). Node's own fetch ignores those variables, so behind a
 * mandatory proxy it would try a direct connection. Failures take fetch's shape — a TypeError "fetch
 * failed" whose cause is the socket or proxy error, the signal's reason when aborted — so the
 * callers' network advice applies unchanged. Redirects are followed as fetch does unless
 * `redirect: 'manual'` (openid-client's choice) or `'error'`.
 */
export async function proxyFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  let url = new URL(input);
  let method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  let body = requestBody(init.body, headers);
  for (let redirects = 0; ; redirects++) {
    const response = await send(url, method, headers, body, signal);
    const location = response.headers.location;
    if (!isRedirect(response.statusCode) || typeof location !== 'string' || init.redirect === 'manual') return toResponse(response, method);
    response.resume();
    if (init.redirect === 'error') throw new TypeError('fetch failed', { cause: new Error(`unexpected redirect to ${location}`) });
    if (redirects >= MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error('redirect count exceeded') });
    const next = new URL(location, url);
    if (next.origin !== url.origin) {
      headers.delete('authorization');
      headers.delete('cookie');
    }
    // As fetch: 303 turns any method but HEAD into a GET, 301/302 turn a POST into one.
    if ((response.statusCode === 303 && method !== 'HEAD') || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
    }
    url = next;
  }
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** The request bodies the CLI's callers and openid-client send, as bytes; a default content type as fetch sets it. */
function requestBody(body: RequestInit['body'], headers: Headers): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') {
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    return Buffer.from(body);
  }
  if (body instanceof URLSearchParams) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return Buffer.from(body.toString());
  }
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError(`proxyFetch does not send a ${Object.prototype.toString.call(body)} body`);
}

/** One agent per proxy and scheme, so requests through the same proxy share its set-up. */
const tunnelAgents = new Map<string, Agent>();

function agentFor(url: URL): Agent | undefined {
  // proxyFor throws for a proxy setting it cannot use: nothing is sent, directly or otherwise.
  const proxy = proxyFor(url);
  if (!proxy) return undefined;
  const secure = url.protocol === 'https:';
  const key = `${proxy.href} ${secure}`;
  let agent = tunnelAgents.get(key);
  if (!agent) {
    // One tunnel per request: these requests are few (a login is about six), and a kept-alive
    // tunnel is a socket inside a socket that would have to be kept from holding the process open.
    agent = tunnelAgent(proxy, secure, CONNECT_TIMEOUT_MS, { keepAlive: false });
    tunnelAgents.set(key, agent);
  }
  return agent;
}

function send(url: URL, method: string, headers: Headers, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new TypeError('fetch failed', { cause: new Error(`unknown scheme ${url.protocol}`) }));
      return;
    }
    let agent: Agent | undefined;
    try {
      agent = agentFor(url);
    } catch (error) {
      reject(new TypeError('fetch failed', { cause: error }));
      return;
    }
    const outgoing: Record<string, string> = { accept: '*/*', 'user-agent': `conduit-mcp/${CLI_VERSION}` };
    headers.forEach((value, name) => (outgoing[name] = value));
    if (body !== undefined) outgoing['content-length'] = String(body.length);
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers: outgoing, ...(agent ? { agent } : {}) });
    const onAbort = () => {
      req.destroy(signal?.reason as Error);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res: IncomingMessage) => {
      // A body still being read when the signal fires ends with the signal's reason, as fetch's does.
      if (signal) {
        signal.removeEventListener('abort', onAbort);
        const abortBody = () => res.destroy(signal.reason as Error);
        signal.addEventListener('abort', abortBody, { once: true });
        res.once('close', () => signal.removeEventListener('abort', abortBody));
      }
      resolve(res);
    });
    req.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    });
    // Connecting is bounded as fetch bounds it; a tunnel bounds its own set-up and arrives connected.
    req.once('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.end(body);
  });
}

function toResponse(res: IncomingMessage, method: string): Response {
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) {
    res.destroy();
    throw new TypeError('fetch failed', { cause: new Error(`unsupported HTTP status ${status}`) });
  }
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const empty = NULL_BODY_STATUS.has(status) || method === 'HEAD';
  if (empty) res.resume();
  return new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers });
}
