import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP load balancer on loopback, in front of several server replicas: each request goes
 * to the next upstream in turn, with the client's Host header unchanged (the replicas run with
 * `--public-url` naming this proxy, so they accept that Host and build their URLs from it).
 *
 * Like nginx's `proxy_next_upstream error`, a request whose connection an upstream refuses was
 * never sent, so it is passed to the next upstream, even a POST; any other failure (the upstream
 * died with the request in flight) is answered 502, since the request may have run. Either way
 * the upstream is taken out of the rotation for the rest of the proxy's life: a test proxy needs
 * no health checks to bring one back.
 */

export interface ProxyLogEntry {
  method: string;
  /** Path and query, as the client sent it. */
  path: string;
  /** Index (in setUpstreams) of the upstream that answered, or that failed with the request in flight. */
  upstream: number;
  /** The status sent to the client; 502 when the upstream failed. */
  status: number;
}

/** Chooses the upstream for one request by index; undefined leaves it to the rotation. */
export type RouteRule = (req: IncomingMessage) => number | undefined;

export interface RoundRobinProxy {
  /** e.g. http://127.0.0.1:40123, what the replicas pass as --public-url. */
  readonly url: string;
  /** The replicas' own base URLs; the proxy listens before they start, so they are set afterwards. */
  setUpstreams(urls: string[]): void;
  /** Pins requests to chosen upstreams, so a test can make a flow cross replicas on purpose. */
  route: RouteRule | undefined;
  /** Every request answered, in order. */
  readonly log: readonly ProxyLogEntry[];
  /** Upstreams taken out of the rotation after a failure. */
  readonly down: ReadonlySet<number>;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends one request to one upstream; resolves with its response head, rejects when the exchange fails first. */
function forward(upstream: URL, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      // Host stays the client's: it names the proxy, which is the replicas' public URL.
      headers: { ...endToEnd(req.headers), 'content-length': String(body.length) },
      // A fresh connection per request, so a refused connection always means "not sent".
      agent: false,
    });
    outgoing.once('response', resolve);
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  let upstreams: URL[] = [];
  let turn = 0;
  const log: ProxyLogEntry[] = [];
  const down = new Set<number>();
  let route: RouteRule | undefined;

  /** The pinned upstream, or every live upstream starting with the one whose turn it is. */
  function candidates(req: IncomingMessage): number[] {
    const pinned = route?.(req);
    if (pinned !== undefined) return [pinned];
    const start = turn++;
    return upstreams.map((_, i) => (start + i) % upstreams.length).filter((i) => !down.has(i));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const entry = (upstream: number, status: number) => log.push({ method: req.method ?? 'GET', path: req.url ?? '/', upstream, status });
    for (const index of candidates(req)) {
      let response: IncomingMessage;
      try {
        response = await forward(upstreams[index]!, req, body);
      } catch (error) {
        down.add(index);
        if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') continue;
        entry(index, 502);
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream ${index} failed: ${(error as Error).message}`);
        return;
      }
      entry(index, response.statusCode ?? 502);
      res.writeHead(response.statusCode ?? 502, response.statusMessage, endToEnd(response.headers));
      // An upstream dying in the middle of its body cuts the client off too, as a real proxy does.
      response.once('error', () => res.destroy());
      response.once('aborted', () => res.destroy());
      response.pipe(res);
      return;
    }
    entry(-1, 502);
    res.writeHead(502, { 'content-type': 'text/plain' }).end('no upstream is reachable');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setUpstreams(urls) {
      upstreams = urls.map((u) => new URL(u));
      turn = 0;
      down.clear();
    },
    get route() {
      return route;
    },
    set route(rule) {
      route = rule;
    },
    log,
    down,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
