import type { Server, ServerResponse } from 'node:http';

/**
 * Returns the way to stop `server`: it stops accepting connections, closes the idle ones at
 * once, finishes every answer under way and then closes that answer's connection.
 *
 * Node's `server.close()` alone closes only the connections idle at that moment. One still being
 * answered is kept alive after its answer, as any other, so the close waits until the client lets
 * it go or the keep-alive timeout ends it (65 s here, HTTP_TIMEOUTS): a stop under load outlived
 * its grace period and exited 1.
 */
export function gracefulClose(server: Server): () => Promise<void> {
  const answering = new Set<ServerResponse>();
  let closing = false;
  // First among the request listeners, so the header is set before any handler answers.
  server.prependListener('request', (_req, res: ServerResponse) => {
    // A request whose first bytes came before the close (such a connection is not idle) is
    // answered, and its connection closed after it.
    if (closing) res.setHeader('connection', 'close');
    answering.add(res);
    // 'close' comes once the answer is done and the socket released (or the client went away).
    res.once('close', () => answering.delete(res));
  });
  return () =>
    new Promise<void>((resolve) => {
      closing = true;
      server.close(() => resolve());
      server.closeIdleConnections();
      for (const res of answering) {
        // Not answered yet: the answer says so, and Node closes its socket right after it.
        if (!res.headersSent) res.setHeader('connection', 'close');
        // Already streaming (an event stream): its connection is idle once it ends, and closed then.
        else res.once('close', () => server.closeIdleConnections());
      }
    });
}
