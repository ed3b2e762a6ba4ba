/**
 * The one rule for judging a redirect URI, used wherever one is judged (registration, the
 * native-client default, the consent page's "will receive access at", CORS). It works on the
 * parsed URI, never on its spelling: URL parsing lower-cases the scheme and the host, so
 * `HTTP://evil.example/cb` is an http URI on evil.example like any other.
 *
 * - OAuth 2.1 §7.5.1: plain http only on a loopback address.
 * - https anywhere.
 * - Private-use schemes (`com.example.app:/cb`) are left to oidc-provider, which allows them for
 *   native clients only and refuses javascript:, data:, file: and the like.
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export type RedirectUriKind = 'https' | 'loopback-http' | 'http' | 'other';

/** What a redirect URI is, by its parsed scheme and host; null when it does not parse. */
export function redirectUriKind(uri: unknown): RedirectUriKind | null {
  if (typeof uri !== 'string') return null;
  const parsed = URL.parse(uri);
  if (!parsed) return null;
  if (parsed.protocol === 'https:') return 'https';
  if (parsed.protocol === 'http:') return LOOPBACK_HOSTS.has(parsed.hostname) ? 'loopback-http' : 'http';
  return 'other';
}

/** Why a registration must not use this redirect URI, or null when our policy allows it. */
export function redirectUriProblem(uri: unknown): string | null {
  if (redirectUriKind(uri) === 'http') {
    return 'redirect_uris must use https, except loopback addresses (http://127.0.0.1, http://[::1], http://localhost)';
  }
  return null;
}

export function isLoopbackHttp(uri: unknown): boolean {
  return redirectUriKind(uri) === 'loopback-http';
}

/** The host a redirect URI sends the browser (and the code) to, as the consent page names it. */
export function redirectHost(uri: string | undefined): string | null {
  return URL.parse(uri ?? '')?.host || null;
}

/**
 * A CSP source matching a redirect URI, for the form-action of pages whose forms end there: its
 * origin, or its scheme for a private-use scheme (`com.example.app:`). Null when it does not parse
 * or could break out of the policy (a source list is split on spaces and semicolons).
 */
export function redirectCspSource(uri: string | undefined): string | null {
  const parsed = URL.parse(uri ?? '');
  if (!parsed) return null;
  const source = parsed.origin !== 'null' ? parsed.origin : parsed.protocol;
  return /^[A-Za-z0-9+.:/[\]-]+$/.test(source) ? source : null;
}

/** The origin of a redirect URI, for CORS: the only origin a browser-based client calls from. */
export function redirectOrigin(uri: string): string | null {
  const parsed = URL.parse(uri);
  return parsed && parsed.origin !== 'null' ? parsed.origin : null;
}
