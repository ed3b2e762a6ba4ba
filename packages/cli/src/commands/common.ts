import { Option } from 'commander';
import { resolveServerUrl } from '../auth/url.js';

export const URL_HELP = 'MCP endpoint URL (default: $CONDUIT_MCP_URL, else https://api.conduit.ai/v1/mcp)';

export function urlOption(): Option {
  return new Option('--url <url>', URL_HELP);
}

export function serverUrl(options: { url?: string }): string {
  return resolveServerUrl(options.url);
}

/** Commander parser for a positive integer option. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > max) throw new Error(`${name} must be an integer between 0 and ${max}`);
    return parsed;
  };
}

/** Describes how far away an ISO time is, e.g. "in 59 min" or "3 min ago". */
export function relativeTime(iso: string, now = Date.now()): string {
  const delta = Date.parse(iso) - now;
  const minutes = Math.round(Math.abs(delta) / 60_000);
  const text = minutes < 1 ? 'less than a minute' : minutes < 120 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.round(minutes / 60)} h` : `${Math.round(minutes / 1440)} days`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

export const STORAGE_HELP = `
Credentials are kept per server URL in the OS keychain (service "conduit-mcp"); where no keychain is
usable they go to $CONDUIT_CONFIG_DIR, else $XDG_CONFIG_HOME/conduit-mcp, else ~/.config/conduit-mcp
(directory 0700, files 0600), with a warning shown once. CONDUIT_CREDENTIAL_STORE=keychain|file
forces a backend (file: no warning).
CONDUIT_API_TOKEN, when set, is used for every server instead of stored credentials.`;
