import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The value types settings are made of. Each schema parses the text of a flag or an environment
 * variable; its issue message says what is accepted, and `resolveSettings` adds which flag or
 * variable was wrong.
 */

/** A schema from a function that returns the value, or throws an Error whose message says what is accepted. */
export function parsed<T>(parse: (text: string) => T): z.ZodType<T, string> {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });
}

export function wholeNumber(min: number, max: number, what = 'a whole number'): z.ZodType<number, string> {
  return parsed((text) => {
    const n = Number(text.trim());
    if (!/^\s*\d+\s*$/.test(text) || n < min || n > max) throw new Error(`expected ${what} from ${min} to ${max}`);
    return n;
  });
}

export function positiveNumber(max: number, what: string): z.ZodType<number, string> {
  return parsed((text) => {
    const n = Number(text.trim());
    if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(n > 0) || n > max) throw new Error(`expected ${what} above 0, at most ${max}`);
    return n;
  });
}

export function oneOf<const T extends readonly [string, ...string[]]>(choices: T): z.ZodType<T[number], string> {
  return parsed((text) => {
    const choice = choices.find((c) => c === text.trim().toLowerCase());
    if (choice === undefined) throw new Error(`expected one of ${choices.join(', ')}`);
    return choice;
  });
}

export function nonEmpty(what: string): z.ZodType<string, string> {
  return parsed((text) => {
    if (!text.trim()) throw new Error(`expected ${what}`);
    return text;
  });
}

/** Comma-separated entries, each parsed by `entry` (which names the bad entry in its error). */
export function commaList<T>(entry: (text: string) => T): z.ZodType<T[], string> {
  return parsed((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map(entry),
  );
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

export function isHostName(text: string): boolean {
  return HOST_NAME.test(text);
}

/** An interface to listen on: an IP address or a host name (IPv6 with or without brackets). */
export function listenHost(text: string): string {
  const host = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) || isHostName(host)) return host;
  throw new Error('expected an IP address or host name to listen on, e.g. 127.0.0.1, 0.0.0.0 or ::');
}

/** A Host header value to accept: a name or address with an optional port, lower-cased. */
export function hostHeader(text: string): string {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(text);
  const name = match?.[1] ?? '';
  const port = match?.[2];
  const nameOk = name.startsWith('[') ? isIP(name.slice(1, -1)) === 6 : isIP(name) === 4 || isHostName(name);
  if (!nameOk || (port !== undefined && Number(port) > 65535)) {
    throw new Error(`"${text}" is not a host: expected host names or addresses with an optional port, e.g. mcp.internal or 10.0.0.5:8787`);
  }
  return text.toLowerCase();
}

/** A browser origin to accept: scheme://host[:port], nothing after it. */
export function origin(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.origin.toLowerCase() !== text.replace(/\/$/, '').toLowerCase()) {
    throw new Error(`"${text}" is not an origin: expected http(s)://host[:port] with no path, e.g. https://app.example.com`);
  }
  return url.origin.toLowerCase();
}

/**
 * A proxy's address, written the way the server sees its peers: IPv4-mapped IPv6 as IPv4, IPv6
 * in its compressed form (the socket reports `::1`, never `0:0:0:0:0:0:0:1`).
 */
export function ipAddress(text: string): string {
  const ip = text.trim().replace(/^\[(.*)\]$/, '$1');
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped?.[1] && isIP(mapped[1]) === 4) return mapped[1];
    return new URL(`http://[${ip}]`).hostname.slice(1, -1);
  }
  if (/\//.test(ip)) throw new Error(`"${text}" is a range: CIDR ranges are not supported, list each proxy's IP address`);
  throw new Error(`"${text}" is not an IP address: expected IP addresses such as 127.0.0.1 or ::1`);
}

/** Where the user name or password of a URL would be, masked. */
export function redactUserInfo(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}

/** An http(s) URL a request is sent to (the delivery webhook). */
export function httpUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('expected an http:// or https:// URL');
  }
  if (!/^https?:$/.test(url.protocol)) throw new Error(`expected an http:// or https:// URL, not ${url.protocol}`);
  return url.toString();
}
