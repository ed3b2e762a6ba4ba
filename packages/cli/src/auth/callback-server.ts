import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CALLBACK_PATH = '/callback';

/** One request that reached the redirect URI, and how to answer the browser once the login is decided. */
export interface ReceivedCallback {
  /** The redirect URI with the query the browser brought back. */
  url: URL;
  respond(outcome: { ok: boolean; message: string }): void;
}

export interface CallbackServer {
  /** http://127.0.0.1:<port>/callback */
  redirectUri: string;
  /** Resolves with the first request to the callback path. */
  received: Promise<ReceivedCallback>;
  close(): Promise<void>;
}

/**
 * A one-shot loopback HTTP server on 127.0.0.1 for the OAuth redirect (RFC 8252 §7.3): it accepts the
 * first request to /callback, holds the browser's response until the login is decided, and answers
 * anything else with 404. Port 0 picks a free port.
 */
export async function startCallbackServer(port = 0): Promise<CallbackServer> {
  let deliver!: (callback: ReceivedCallback) => void;
  const received = new Promise<ReceivedCallback>((resolve) => (deliver = resolve));
  let taken = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    if (taken) {
      res.writeHead(409, { 'content-type': 'text/plain; charset=utf-8' }).end('This sign-in was already handled; you can close this tab.\n');
      return;
    }
    taken = true;
    const callbackUrl = new URL(redirectUri);
    callbackUrl.search = url.search;
    deliver({
      url: callbackUrl,
      respond: ({ ok, message }) => {
        if (res.writableEnded) return;
        res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(ok, message));
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${CALLBACK_PATH}`;
  return {
    redirectUri,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function page(ok: boolean, message: string): string {
  const escaped = message.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
  const title = ok ? 'Signed in to Conduit' : 'Conduit sign-in failed';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto"><h1>${title}</h1><p>${escaped}</p></body></html>`;
}
