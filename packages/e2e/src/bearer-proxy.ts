import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy that adds `Authorization: Bearer <token>` to every request and passes the rest
 * through unchanged, streaming both ways: Host and Origin stay as the client sent them, so the
 * server's DNS-rebinding checks judge the client's headers (the server runs with `--public-url`
 * naming this proxy, as behind any reverse proxy). For clients that cannot send a header, such as
 * the MCP conformance suite.
 */
export interface BearerProxy {
  /** e.g. http://127.0.0.1:40123, what the server passes as --public-url. */
  readonly url: string;
  /** The proxy listens before the server starts (the server needs its URL), so these come later. */
  setUpstream(url: string, token: string): void;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

export async function startBearerProxy(): Promise<BearerProxy> {
  let upstream: URL | undefined;
  let bearer = '';
  const server = createServer((req, res) => {
    if (!upstream) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('bearer proxy: no upstream yet');
      return;
    }
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...endToEnd(req.headers), authorization: `Bearer ${bearer}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
      },
    );
    forwarded.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bearer proxy: ${error.message}`);
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setUpstream(url, token) {
      upstream = new URL(url);
      bearer = token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
