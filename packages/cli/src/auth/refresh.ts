import * as oidc from 'openid-client';
import { lockPath, withFileLock } from '../credentials/lock.js';
import type { ResolvedStore } from '../credentials/resolve.js';
import type { OAuthCredential } from '../credentials/types.js';
import type { Reporter } from '../output.js';
import { configurationFor, oauthErrorCode, oauthErrorText } from './client.js';
import { networkProblem, type NetworkProblem } from '../network-problem.js';
import { AuthError, LoginRequiredError, NotLoggedInError } from './errors.js';
import { tokenFields } from './tokens.js';

/** Refresh this long before the access token expires, so a request never leaves with a dying token. */
export const REFRESH_MARGIN_MS = 60_000;

/** Whether the access token is good for at least `marginMs` more (no expiry known = good). */
export function isFresh(credential: OAuthCredential, marginMs = REFRESH_MARGIN_MS, now = Date.now()): boolean {
  if (!credential.expiresAt) return true;
  return Date.parse(credential.expiresAt) - now > marginMs;
}

/** The access token expired and the authorization server did not answer the refresh; the login is kept. */
export class RefreshUnreachableError extends AuthError {
  constructor(
    readonly url: string,
    readonly issuer: string,
    readonly problem: NetworkProblem,
  ) {
    super('refresh_unreachable', `Could not refresh the access token for ${url}: the authorization server ${issuer} did not answer (${problem.cause}). The saved login was kept; ${problem.check}.`);
    this.name = 'RefreshUnreachableError';
  }
}

const inFlight = new Map<string, Promise<OAuthCredential>>();

export interface RefreshOptions {
  store: ResolvedStore;
  reporter: Reporter;
  /** Refresh even if the stored token still looks fresh (the server rejected it). */
  force?: boolean;
  /** The access token the caller saw rejected; a stored token different from it is taken as already refreshed. */
  rejectedToken?: string;
  marginMs?: number;
}

/**
 * Refreshes the stored OAuth credential for `url`, at most once at a time for one credential: within
 * the process (callers share one promise) and across processes (a lock next to the store). After
 * taking the lock the credential is read again, and a token another process just refreshed is used
 * as is — so processes sharing a rotating refresh token never present a used one. `invalid_grant`
 * (refresh token expired, revoked or reused) clears the credential and asks the user to log in.
 */
export function refreshCredential(url: string, options: RefreshOptions): Promise<OAuthCredential> {
  const pending = inFlight.get(url);
  if (pending) return pending;
  const promise = withFileLock(lockPath(options.store.configDir, 'refresh', url), () => refreshLocked(url, options), {
    timeoutMs: 60_000,
    staleMs: 30_000,
    onWait: (holder) => options.reporter.debug(`waiting for the refresh lock${holder ? ` held by pid ${holder.pid}` : ''}`),
  }).finally(() => inFlight.delete(url));
  inFlight.set(url, promise);
  return promise;
}

async function refreshLocked(url: string, options: RefreshOptions): Promise<OAuthCredential> {
  const { store } = options.store;
  const current = await store.get(url);
  if (!current) throw new NotLoggedInError(url);
  if (current.kind !== 'oauth') throw new LoginRequiredError(url, `The credential for ${url} is an API token and cannot be refreshed.`);
  const alreadyRefreshed = options.rejectedToken !== undefined && current.accessToken !== options.rejectedToken;
  if (alreadyRefreshed || (!options.force && isFresh(current, options.marginMs))) {
    options.reporter.debug('using the token another process refreshed');
    return current;
  }
  if (!current.refreshToken) {
    await store.delete(url);
    throw new LoginRequiredError(url, `The access token for ${url} expired and there is no refresh token.`);
  }
  options.reporter.debug('refreshing the access token');
  let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
  try {
    tokens = await oidc.refreshTokenGrant(configurationFor(current), current.refreshToken, { resource: current.resource });
  } catch (error) {
    const code = oauthErrorCode(error);
    if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client') {
      await store.delete(url);
      throw new LoginRequiredError(url, `The server no longer accepts the saved login for ${url} (${code}: it expired, was revoked or was used elsewhere); the saved credentials were removed.`);
    }
    // A passing failure (network, 5xx): a token that has not actually expired is still usable.
    if (current.expiresAt && Date.parse(current.expiresAt) > Date.now()) return current;
    // Unreachable is not a reason to sign in again: the saved login is kept and works once it answers.
    const unreachable = networkProblem(error, current.authorizationServer.issuer);
    if (unreachable) throw new RefreshUnreachableError(url, current.authorizationServer.issuer, unreachable);
    throw new LoginRequiredError(url, `Refreshing the access token for ${url} failed (${oauthErrorText(error)}).`);
  }
  const next: OAuthCredential = { ...current, obtainedAt: new Date().toISOString(), ...tokenFields(tokens, current) };
  if (!tokens.expires_in) delete next.expiresAt;
  await store.set(url, next);
  return next;
}
