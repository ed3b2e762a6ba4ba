import { loginCommand } from './login-command.js';

export { loginCommand };

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

/** No credential is stored for this server (and CONDUIT_API_TOKEN is not set). */
export class NotLoggedInError extends AuthError {
  constructor(readonly url: string) {
    super('not_logged_in', `Not logged in to ${url}. Run \`${loginCommand(url)}\` (or set CONDUIT_API_TOKEN to an API token).`);
    this.name = 'NotLoggedInError';
  }
}

/**
 * A credential existed but can no longer be used: the refresh was refused, it expired without a
 * refresh token, or the server rejected it. `reason` says what happened; the message adds what to do
 * (by default, the login command).
 */
export class LoginRequiredError extends AuthError {
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly hint = `Run \`${loginCommand(url)}\` to sign in again.`,
  ) {
    super('login_required', `${reason} ${hint}`);
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
