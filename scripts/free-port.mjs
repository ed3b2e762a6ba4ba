// A free loopback port for a process a test starts with an explicit port (PostgreSQL, Redis, a
// server restarted on its old port, `conduit-mcp login --callback-port`), shared by every
// package's tests. Drawn below Linux's ephemeral range (32768–60999): a port the kernel hands out
// for `listen(0)` is also what it gives outgoing connections as their local port, so a client
// connection of any concurrent test could take it before the process listens (EADDRINUSE, or a
// cluster that never started).
import { createServer } from 'node:net';

export async function freePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
