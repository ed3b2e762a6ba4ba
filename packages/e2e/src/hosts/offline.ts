import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a host run gets instead of the machine's environment: its own HOME (its config, caches,
 * credentials), PATH, and a proxy for every non-loopback address that refuses and records each
 * attempt. The hosts' own switches (telemetry, update checks) are set by each test; the proxy
 * shows when one of them still tries to reach the network, and keeps CI from ever doing so.
 */
export interface OfflineHosts {
  home: string;
  /** host:port (CONNECT) or URL (plain HTTP) of every request a host tried to send off the machine. */
  attempts: string[];
  env(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startOfflineHosts(prefix: string): Promise<OfflineHosts> {
  const attempts: string[] = [];
  const proxy: Server = createServer((req, res) => {
    attempts.push(req.url ?? '');
    res.writeHead(403, { 'content-type': 'text/plain' }).end('blocked by the e2e suite: no network for hosts\n');
  });
  proxy.on('connect', (req, socket) => {
    attempts.push(req.url ?? '');
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const home = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const noProxy = '127.0.0.1,localhost,::1';
  return {
    home,
    attempts,
    env: (extra = {}) => ({
      PATH: process.env.PATH ?? '',
      HOME: home,
      LANG: 'C.UTF-8',
      NO_COLOR: '1',
      HTTP_PROXY: proxyUrl,
      HTTPS_PROXY: proxyUrl,
      http_proxy: proxyUrl,
      https_proxy: proxyUrl,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
      ...extra,
    }),
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      rmSync(home, { recursive: true, force: true });
    },
  };
}
