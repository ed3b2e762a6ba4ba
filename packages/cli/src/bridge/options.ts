import { DiscoveryError } from '../auth/errors.js';
import { resolveServerUrl } from '../auth/url.js';

/** The bridge's command-line surface, independent of the argument parser. */

export interface BridgeOptions {
  url: URL;
  workspace: string | undefined;
  readOnly: boolean;
  tools: string[];
  excludeTools: string[];
  /** --header values, names lower-cased. */
  headers: Record<string, string>;
  debug: boolean;
}

/** What the parser hands over (commander's shape for the options in command.ts). */
export interface RawBridgeOptions {
  url?: string | undefined;
  workspace?: string | undefined;
  readOnly?: boolean | undefined;
  tools?: string[] | undefined;
  excludeTools?: string[] | undefined;
  header?: string[] | undefined;
  debug?: boolean | undefined;
}

export class OptionError extends Error {
  override readonly name = 'OptionError';
}

// Set by the bridge itself; a --header must not be able to break the protocol or the session.
const RESERVED_HEADERS = new Set(['content-type', 'accept', 'content-length', 'mcp-session-id', 'mcp-protocol-version', 'host', 'idempotency-key']);

export function parseHeader(value: string): [string, string] {
  const colon = value.indexOf(':');
  const name = colon > 0 ? value.slice(0, colon).trim().toLowerCase() : '';
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new OptionError(`--header "${value.split(':')[0]}…" must look like "Name: value"`);
  if (RESERVED_HEADERS.has(name)) throw new OptionError(`--header cannot set ${name}: the bridge manages it`);
  const headerValue = value.slice(colon + 1).trim();
  if (/[\r\n]/.test(headerValue)) throw new OptionError(`--header ${name} contains a line break`);
  return [name, headerValue];
}

/** Globs may be given as repeated values or comma-separated. */
function globs(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((glob) => glob.trim()).filter(Boolean);
}

export function resolveBridgeOptions(raw: RawBridgeOptions, env: NodeJS.ProcessEnv = process.env): BridgeOptions {
  let url: URL;
  try {
    // The same canonical form `conduit-mcp login` stores credentials under, and the same rule:
    // plain http only to loopback, so a token never crosses a network in clear text.
    url = new URL(resolveServerUrl(raw.url, env));
  } catch (error) {
    if (error instanceof DiscoveryError) throw new OptionError(error.message);
    throw error;
  }
  const workspace = raw.workspace?.trim();
  if (raw.workspace !== undefined && !workspace) throw new OptionError('--workspace needs an id (wp_…) or a slug');
  return {
    url,
    workspace: workspace || undefined,
    readOnly: raw.readOnly ?? false,
    tools: globs(raw.tools),
    excludeTools: globs(raw.excludeTools),
    headers: Object.fromEntries((raw.header ?? []).map(parseHeader)),
    debug: raw.debug ?? false,
  };
}
