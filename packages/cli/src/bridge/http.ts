import type { Dispatcher } from 'undici';
// Imported by path rather than from 'undici': the package root also loads fetch, WebSocket, the
// cache stores and the mock agents, which is most of the bridge's start-up time (measured on
// Node 20: ≈ 40 ms idle, > 100 ms on a busy machine, against ≈ 15 ms for these two modules).
// undici is pinned to an exact version and the bridge tests exercise this path on every run.
import Agent from 'undici/lib/dispatcher/agent.js';
import request from 'undici/lib/api/api-request.js';

export type HttpResponse = Dispatcher.ResponseData;

export interface HttpClient {
  send(method: 'POST' | 'GET' | 'DELETE', headers: Record<string, string>, body?: string, signal?: AbortSignal): Promise<HttpResponse>;
  close(): Promise<void>;
}

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'];

/**
 * One keep-alive connection pool to the MCP endpoint. With a proxy configured, the whole undici
 * package is loaded for EnvHttpProxyAgent, which routes through HTTP_PROXY / HTTPS_PROXY unless
 * NO_PROXY matches (its proxy tunnel needs the full package). NODE_EXTRA_CA_CERTS needs nothing
 * here: Node adds those CAs to the default store every TLS connection uses.
 */
export function createHttpClient(url: URL, options: { connectTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): HttpClient {
  const agentOptions = {
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    keepAliveTimeout: 30_000,
    // A tool may run for minutes (and stream progress); the bridge must not time it out first.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  const env = options.env ?? process.env;
  const proxied = PROXY_VARIABLES.some((name) => env[name]);
  const dispatcher: Promise<Dispatcher> = proxied
    ? import('undici').then(({ EnvHttpProxyAgent }) => new EnvHttpProxyAgent(agentOptions))
    : Promise.resolve(new Agent(agentOptions));
  const origin = url.origin;
  const path = `${url.pathname}${url.search}`;
  return {
    async send(method, headers, body, signal) {
      return request.call(await dispatcher, { origin, path, method, headers, body: body ?? null, signal: signal ?? null });
    },
    async close() {
      await (await dispatcher).destroy();
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
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The error's own code or its cause's (undici wraps socket errors). */
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

export function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
