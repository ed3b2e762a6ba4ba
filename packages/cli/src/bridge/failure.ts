import { errorCode } from './http.js';
import { BRIDGE_ERROR } from './error-replies.js';

/** A failure the bridge reports to the client as a JSON-RPC error with this code. */
export class BridgeFailure extends Error {
  override readonly name = 'BridgeFailure';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * HTTP 403 with `WWW-Authenticate: Bearer error="insufficient_scope"`: the credential works, but
 * not for this call (a write with a read-only sign-in or token). The server did not run it.
 */
export class ScopeRequiredError extends Error {
  override readonly name = 'ScopeRequiredError';
  constructor(
    /** The scope the challenge asks for, when it names one. */
    readonly scope: string | undefined,
    /** The server's own words, for the log. */
    readonly detail: string,
  ) {
    super(`The server refused the call for lack of scope${scope ? ` (needs ${scope})` : ''}: ${detail}`);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `error` / `error_description` (or `message`) of an HTTP error body, when it has them. */
export function describeErrorBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, error_description: description, message } = body as Record<string, unknown>;
  const text = [error, description ?? message].filter((part) => typeof part === 'string').join(': ');
  return text || undefined;
}

/** A network failure as the client sees it, with what to do about the usual causes. */
export function unreachable(error: unknown): BridgeFailure {
  const own = errorCode(error);
  // A proxy's refusal or an unusable proxy setting: its message says which proxy and why.
  const code = own && !own.startsWith('ERR_PROXY_') ? own : describeError(error);
  // Corporate TLS inspection is the usual cause; the fix is a CA file, not a code change.
  const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
    ? ' If a proxy or private CA signs this server\'s certificate, point NODE_EXTRA_CA_CERTS at that CA\'s PEM file.'
    : ' The bridge keeps running and retries on the next request.';
  return new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, `Cannot reach the Conduit MCP server (${code}).${hint}`, { reason: 'unreachable', code });
}
