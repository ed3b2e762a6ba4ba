import { Agent as HttpAgent, request as httpRequest, type AgentOptions, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/**
 * The forward proxy a request to `url` goes through, from the environment as curl and most tools
 * read it: `https_proxy`/`HTTPS_PROXY` for https URLs (falling back to the HTTP proxy),
 * `http_proxy`/`HTTP_PROXY` for http, none when `no_proxy`/`NO_PROXY` matches the host. NO_PROXY
 * entries are separated by commas or spaces: `*` (no proxy at all), a host or IP (itself and, for a
 * name, its subdomains), `.example.com` or `*.example.com` (the domain and its subdomains), each
 * optionally with `:port`.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const http = env.http_proxy || env.HTTP_PROXY;
  const raw = url.protocol === 'https:' ? env.https_proxy || env.HTTPS_PROXY || http : http;
  if (!raw || bypassed(url, env.no_proxy ?? env.NO_PROXY ?? '')) return undefined;
  let proxy: URL;
  try {
    // A bare host:port, as some set it, means an HTTP proxy.
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw proxyConfigError(`the proxy address "${raw}" (HTTP(S)_PROXY) is not a URL`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw proxyConfigError(`the proxy address "${raw}" (HTTP(S)_PROXY) must be an http:// or https:// URL`);
  }
  return proxy;
}

/** A proxy setting that cannot be used; the code lets network-problem.ts name the fix. */
function proxyConfigError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_PROXY_CONFIG' });
}

function bypassed(url: URL, noProxy: string): boolean {
  const host = bare(url.hostname).toLowerCase();
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (!raw) continue;
    if (raw === '*') return true;
    // host:port, [v6]:port; a bare IPv6 address has colons but no port.
    const match = isIP(raw) ? null : /^(.*):(\d+)$/.exec(raw);
    const name = (match ? match[1]! : raw).toLowerCase();
    if (match && Number(match[2]) !== port) continue;
    const domain = bare(name.replace(/^\*?\.?/, ''));
    if (!domain) continue;
    if (host === domain || (!isIP(host) && host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

/** A hostname without the brackets URL keeps around an IPv6 address. */
function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

type Created = (error: Error | null, socket?: Socket) => void;

/**
 * Opens a tunnel to `host:port` through the proxy (HTTP CONNECT, with the proxy URL's credentials
 * as Basic Proxy-Authorization) and hands over the raw socket; `secure` adds TLS to the target on
 * top of it. Bounded by `timeoutMs` from the first byte to the proxy to the end of the handshake.
 */
function openTunnel(proxy: URL, host: string, port: number, timeoutMs: number, secure: ConnectionOptions | undefined, done: Created): void {
  let settled = false;
  // The tunnel's socket once the proxy opened it: a set-up that fails or times out past that
  // point (the TLS handshake) must not leave it open.
  let opened: Socket | undefined;
  const finish = (error: Error | null, socket?: Socket) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (error) opened?.destroy();
    done(error, socket);
  };
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.username || proxy.password) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const request = (proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
    host: bare(proxy.hostname),
    port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)),
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
  });
  const timer = setTimeout(() => {
    request.destroy();
    finish(Object.assign(new Error(`connect timeout after ${timeoutMs} ms (through the proxy ${proxy.host})`), { code: 'ETIMEDOUT' }));
  }, timeoutMs);
  request.once('error', (error) => finish(error));
  request.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
    opened = socket;
    if (response.statusCode !== 200) {
      const refused = new Error(`the proxy ${proxy.host} refused the tunnel to ${authority}: HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim());
      finish(Object.assign(refused, { code: response.statusCode === 407 ? 'ERR_PROXY_AUTH' : 'ERR_PROXY_REFUSED' }));
      return;
    }
    // Bytes the proxy sent past its answer belong to the target: put them back in the stream.
    if (head.length > 0) socket.unshift(head);
    if (!secure) {
      finish(null, socket);
      return;
    }
    const tls = tlsConnect({ ...secure, socket, servername: isIP(host) ? undefined : host });
    opened = tls;
    tls.once('secureConnect', () => finish(null, tls));
    tls.once('error', (error) => finish(error));
  });
  request.end();
}

/** A keep-alive agent whose connections are tunnels through `proxy` (see openTunnel). */
export function tunnelAgent(proxy: URL, secure: boolean, timeoutMs: number, options: AgentOptions): HttpAgent {
  const create = (connection: ConnectionOptions & { host?: string; port?: number | string }, done: Created) => {
    const port = Number(connection.port || (secure ? 443 : 80));
    openTunnel(proxy, bare(connection.host ?? 'localhost'), port, timeoutMs, secure ? connection : undefined, done);
    return undefined;
  };
  const agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
  // Node's agents accept a connection handed over later through the callback.
  (agent as unknown as { createConnection: typeof create }).createConnection = create;
  return agent;
}
