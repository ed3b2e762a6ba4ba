/** The bridge's command-line surface, independent of the argument parser. */

export const DEFAULT_MCP_URL = 'https://api.conduit.ai/v1/mcp';

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
  const text = raw.url ?? env.CONDUIT_MCP_URL ?? DEFAULT_MCP_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionError(`--url "${text}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OptionError(`--url must be http(s), got ${url.protocol}`);
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
