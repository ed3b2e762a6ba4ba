import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { proxyFor, tunnelAgent } from '../proxy.js';

/** A response body: streamed for SSE, read whole for JSON, drained when only the status matters. */
export interface ResponseBody extends AsyncIterable<Uint8Array> {
  text(): Promise<string>;
  dump(): Promise<void>;
}

export interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

export interface HttpClient {
  send(method: 'POST' | 'GET' | 'DELETE', headers: Record<string, string>, body?: string, signal?: AbortSignal): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface HttpClientOptions {
  connectTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * One keep-alive connection pool to the MCP endpoint, over node:http(s).
 *
 * undici was the first choice, but measured on Node 20 it cost the bridge its memory and start-up
 * targets: its HTTP/1 parser is WebAssembly, and V8's optimizing compile of it peaks the process at
 * ≈ 91 MB RSS (node:http, whose parser is native: ≈ 57 MB), and importing it adds 20–45 ms to
 * every start; bundled, it was also 0.5 MB of the package.
 *
 * With HTTP_PROXY / HTTPS_PROXY set (and NO_PROXY not matching), connections are tunnels through
 * the proxy (../proxy.ts). NODE_EXTRA_CA_CERTS needs nothing here: Node adds those CAs to the default
 * store that every TLS connection uses.
 */
export function createHttpClient(url: URL, options: HttpClientOptions = {}): HttpClient {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const secure = url.protocol === 'https:';
  let proxy: URL | undefined;
  try {
    proxy = proxyFor(url, options.env ?? process.env);
  } catch (error) {
    // A proxy setting that is not a URL: every request fails with what is wrong, nothing goes direct.
    return { send: () => Promise.reject(error as Error), close: async () => {} };
  }
  const agentOptions = { keepAlive: true, scheduling: 'lifo' as const };
  const agent = proxy
    ? tunnelAgent(proxy, secure, connectTimeoutMs, agentOptions)
    : secure
      ? new HttpsAgent(agentOptions)
      : new HttpAgent(agentOptions);
  const request = secure ? httpsRequest : httpRequest;
  return {
    send(method, headers, body, signal) {
      return new Promise((resolve, reject) => {
        const outgoing = { ...headers };
        if (body !== undefined) outgoing['content-length'] = String(Buffer.byteLength(body));
        const req = request(url, { method, headers: outgoing, agent, signal });
        req.once('response', (res: IncomingMessage) => {
          // A connection lost mid-body surfaces where the body is read; without a listener here
          // it would be an uncaught 'error' event before anyone reads it.
          res.on('error', () => undefined);
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: bodyOf(res) });
        });
        req.on('error', reject);
        // Tool calls may legitimately run for minutes, so only connecting is bounded (a tunnel
        // bounds its own set-up, and arrives connected).
        req.once('socket', (socket) => {
          if (!socket.connecting) return;
          const timer = setTimeout(() => req.destroy(Object.assign(new Error(`connect timeout after ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })), connectTimeoutMs);
          socket.once('connect', () => clearTimeout(timer));
          socket.once('close', () => clearTimeout(timer));
        });
        req.end(body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}

function bodyOf(res: IncomingMessage): ResponseBody {
  return {
    [Symbol.asyncIterator]: () => res[Symbol.asyncIterator](),
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    async dump() {
      res.resume();
      if (!res.complete) await new Promise((resolve) => res.once('close', resolve));
    },
  };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // an SSE response that ended before it carried the answer
  'STREAM_ENDED',
]);

/** The error's own code or its cause's (fetch, which the auth layer uses, wraps socket errors). */
export function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && own !== 'UND_ERR_SOCKET') return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : typeof own === 'string' ? own : undefined;
}

/** A failure to reach the server or to get its whole answer, as opposed to an HTTP error status. */
export function isNetworkError(error: unknown): boolean {
  const own = (error as { code?: unknown } | null)?.code;
  const code = errorCode(error);
  return (typeof own === 'string' && NETWORK_CODES.has(own)) || (code !== undefined && NETWORK_CODES.has(code));
}

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
