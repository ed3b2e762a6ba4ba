import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is 127.0.0.1. */
function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && isIPv4(lower.slice('::ffff:'.length)) ? lower.slice('::ffff:'.length) : lower;
}

/**
 * The client's IP, for per-IP limits: the socket peer, unless that peer is one of
 * `trustedProxies` (the reverse proxy in front of the server, `serve --trusted-proxies`). Behind a
 * proxy every request comes from the proxy's address, so per-IP limits would count all users
 * together; its X-Forwarded-For names the client. Anyone can send that header, so it is read only
 * from a trusted peer, from the right, skipping trusted hops: the first untrusted address is the
 * one the nearest trusted proxy saw (entries further left are the client's own claims).
 */
export function clientIp(req: IncomingMessage, trustedProxies: ReadonlySet<string> = new Set()): string {
  let ip = normalizeIp(req.socket.remoteAddress ?? 'unknown');
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((hop) => normalizeIp(hop.trim()))
    .filter(Boolean);
  while (trustedProxies.has(ip) && forwarded.length > 0) ip = forwarded.pop()!;
  return ip;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted quad as two groups). */
function ipv6Groups(ip: string): number[] {
  const [address = ''] = ip.split('%'); // a zone index names the interface, not the host
  const toGroups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  const front = toGroups(head);
  if (tail === undefined) return front;
  const back = toGroups(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * Whose budget a per-address limit charges: an IPv4 address, or an IPv6 client's /64. One
 * subscriber or host is normally given a whole /64 and can pick any address in it, so counting
 * single IPv6 addresses would give one client 2^64 budgets.
 */
export function addressSubject(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const prefix = ipv6Groups(ip)
    .slice(0, 4)
    .map((group) => group.toString(16));
  return `${prefix.join(':')}::/64`;
}
