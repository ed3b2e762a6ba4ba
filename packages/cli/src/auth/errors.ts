/** Base of every error the auth layer throws on purpose; `message` is meant for the user as is. */
export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export function loginCommand(url: string): string {
  return `conduit-mcp login --url ${url}`;
}

/** No credential is stored for this server (and CONDUIT_API_TOKEN is not set). */
export class NotLoggedInError extends AuthError {
  constructor(readonly url: string) {
    super('not_logged_in', `Not logged in to ${url}. Run \`${loginCommand(url)}\` (or set CONDUIT_API_TOKEN to an API token).`);
    this.name = 'NotLoggedInError';
  }
}

/** A credential existed but can no longer be used (refresh refused, expired without a refresh token). */
export class LoginRequiredError extends AuthError {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super('login_required', `${reason} Run \`${loginCommand(url)}\` to sign in again.`);
    this.name = 'LoginRequiredError';
  }
}

/** An interactive login did not complete (denied, timed out, state/issuer mismatch, server refused…). */
export class LoginError extends AuthError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'LoginError';
  }
}

/** Discovery found something unusable (no metadata, resource mismatch, insecure URL…). */
export class DiscoveryError extends AuthError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'DiscoveryError';
  }
}
