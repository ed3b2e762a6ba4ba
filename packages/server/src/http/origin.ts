import type { IncomingMessage } from 'node:http';

/**
 * DNS-rebinding protection: a browser page on another site can make requests to a server on
 * loopback, but it cannot forge the Host and Origin headers, so both must name this server.
 */
export interface OriginPolicy {
  allowedHosts: ReadonlySet<string>;
  allowedOrigins: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function createOriginPolicy(options: {
  publicUrl: URL;
  bindHost: string;
  port: number;
  extraHosts?: readonly string[];
  extraOrigins?: readonly string[];
}): OriginPolicy {
  const hosts = new Set<string>([options.publicUrl.host.toLowerCase(), ...(options.extraHosts ?? []).map((h) => h.toLowerCase())]);
  const origins = new Set<string>([options.publicUrl.origin.toLowerCase(), ...(options.extraOrigins ?? []).map((o) => o.toLowerCase())]);
  if (isLoopbackHost(options.bindHost) || options.bindHost === '0.0.0.0' || options.bindHost === '::') {
    for (const name of LOOPBACK_NAMES) {
      hosts.add(`${name}:${options.port}`);
      origins.add(`http://${name}:${options.port}`);
    }
  }
  return { allowedHosts: hosts, allowedOrigins: origins };
}

/** Returns a reason when the request must be refused, else null. */
export function checkOrigin(req: IncomingMessage, policy: OriginPolicy): string | null {
  const host = req.headers.host?.toLowerCase();
  if (!host || !policy.allowedHosts.has(host)) return `Host header "${host ?? ''}" is not allowed`;
  const origin = req.headers.origin?.toLowerCase();
  if (origin !== undefined && !policy.allowedOrigins.has(origin)) return `Origin "${origin}" is not allowed`;
  return null;
}
