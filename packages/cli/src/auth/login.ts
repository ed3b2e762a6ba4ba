import { createInterface } from 'node:readline';
import * as oidc from 'openid-client';
import { liveHolder, lockPath, withFileLock, type LockHolder } from '../credentials/lock.js';
import { resolveStore, type ResolvedStore } from '../credentials/resolve.js';
import type { Credential, OAuthCredential } from '../credentials/types.js';
import { stderrReporter, type Reporter } from '../output.js';
import { openBrowser } from './browser.js';
import { startCallbackServer, type ReceivedCallback } from './callback-server.js';
import { clientConfiguration, obtainClient, oauthErrorText, type ClientChoice } from './client.js';
import { discoverAuthorizationServer, discoverResource } from './discovery.js';
import { LoginError, loginCommand } from './errors.js';
import { clearPendingLogin, publishPendingLogin, readPendingLogin } from './pending-login.js';
import { retireReplaced } from './revoke.js';
import { hasScopes, selectScope } from './scopes.js';
import { tokenFields } from './tokens.js';
import type { BearerChallenge } from './www-authenticate.js';

export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

/** A login lock not refreshed for this long belongs to a process on another host that is gone. */
const LOGIN_LOCK_STALE_MS = 60_000;

/** The live process signing in to `url` with this config dir (holding its login lock), or null. */
export function loginHolder(configDir: string, url: string): Promise<Partial<LockHolder> | null> {
  return liveHolder(lockPath(configDir, 'login', url), LOGIN_LOCK_STALE_MS);
}

export interface LoginOptions extends ClientChoice {
  /** Canonical MCP endpoint URL. */
  url: string;
  /** Scope to request instead of the one the server suggests. */
  scope?: string;
  /** Fixed loopback port for the redirect URI (default: a free one). */
  callbackPort?: number;
  /** false = do not start a browser; the user opens the printed URL and may paste the redirect back. */
  openBrowser?: boolean;
  /** Where a pasted redirect URL is read from (`--no-browser`). */
  pasteInput?: NodeJS.ReadableStream;
  timeoutMs?: number;
  /** The challenge of a 401/403 that prompted this login (its scope and resource_metadata are used). */
  challenge?: BearerChallenge;
  /**
   * false: when another process is already signing in to this server, do not wait for it (the
   * lock's LockTimeoutError is thrown at once). The bridge watches the store for that login's
   * result instead, so a user never gets a second browser tab from it.
   */
  waitForOtherLogin?: boolean;
  /**
   * Checked once the login lock is held, before any browser flow: true when the login now stored
   * is one the caller can use (another process stored it just before this one took the lock), so
   * it is returned (`reused`) instead of signing in again.
   */
  reuse?: (stored: OAuthCredential) => boolean;
  /** Called with the sign-in page's address as soon as it is known. */
  onAuthorizationUrl?: (authorizationUrl: string) => void;
  /** What the browser shows once signed in (default: go back to the terminal). */
  doneMessage?: string;
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
  store?: ResolvedStore;
}

export interface LoginResult {
  credential: OAuthCredential;
  /** True when another process finished a login for this server while this one waited, and its result was used. */
  reused: boolean;
}

/**
 * Interactive OAuth 2.1 login: discovery (RFC 9728, then RFC 8414 / OpenID), client registration
 * (RFC 7591) unless a client is given, authorization code with PKCE S256 and RFC 8707 `resource`,
 * redirect to a one-shot loopback server. Several processes logging in to one server at once run a
 * single browser flow: the others wait on a lock and use its result.
 */
export async function login(options: LoginOptions): Promise<LoginResult> {
  const env = options.env ?? process.env;
  const reporter = options.reporter ?? stderrReporter(env);
  const resolved = options.store ?? (await resolveStore(env, reporter));
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const startedAt = new Date().toISOString();
  let waited = false;
  return withFileLock(
    lockPath(resolved.configDir, 'login', options.url),
    async () => {
      if (waited || options.reuse) {
        const current = await resolved.store.get(options.url);
        // Another process completed a login while we waited, or just before we took the lock: use
        // it rather than opening a second browser.
        const usable =
          current?.kind === 'oauth' &&
          ((waited && current.obtainedAt >= startedAt && hasScopes(current.scope, options.scope)) || options.reuse?.(current) === true);
        if (usable) {
          reporter.info(`Signed in by another conduit-mcp process; using that login for ${options.url}.`);
          return { credential: current, reused: true };
        }
      }
      let credential: OAuthCredential;
      let previous: Credential | null;
      try {
        credential = await runAuthorizationCodeFlow(options, reporter, timeoutMs, (authorizationUrl) =>
          publishPendingLogin(resolved.configDir, options.url, authorizationUrl).catch((error: unknown) =>
            reporter.debug(`could not publish the sign-in page for other processes: ${error instanceof Error ? error.message : String(error)}`),
          ),
        );
        previous = await resolved.store.get(options.url);
        await resolved.store.set(options.url, credential);
      } finally {
        await clearPendingLogin(resolved.configDir, options.url).catch(() => undefined);
      }
      // Two logins must not leave two live grants: end the one this login replaced.
      await retireReplaced(previous, credential, reporter);
      return { credential, reused: false };
    },
    {
      timeoutMs: options.waitForOtherLogin === false ? 0 : timeoutMs + 60_000,
      staleMs: LOGIN_LOCK_STALE_MS,
      onWait: (holder) => {
        waited = true;
        if (options.waitForOtherLogin === false) return;
        reporter.info(`Another conduit-mcp login for ${options.url} is in progress${holder ? ` (pid ${holder.pid})` : ''}; waiting for it to finish…`);
        void readPendingLogin(resolved.configDir, options.url).then((pending) => {
          if (pending) reporter.info(`To finish that sign-in, open this URL in a browser:\n\n  ${pending.authorizationUrl}\n`);
        });
      },
    },
  );
}

async function runAuthorizationCodeFlow(
  options: LoginOptions,
  reporter: Reporter,
  timeoutMs: number,
  publish: (authorizationUrl: string) => Promise<void>,
): Promise<OAuthCredential> {
  const discovery = await discoverResource(options.url, options.challenge);
  const as = await discoverAuthorizationServer(discovery.authorizationServer);
  const scope = selectScope(options.scope, discovery, as.metadata);
  const callback = await startCallbackServer(options.callbackPort ?? 0);
  try {
    const client = await obtainClient(as, callback.redirectUri, options);
    const config = clientConfiguration(as.metadata, client);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      response_type: 'code',
      redirect_uri: callback.redirectUri,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      resource: discovery.resource,
      ...(scope ? { scope } : {}),
    });

    reporter.info(`To sign in to ${options.url}, open this URL in a browser:\n\n  ${authorizationUrl.href}\n`);
    await publish(authorizationUrl.href);
    options.onAuthorizationUrl?.(authorizationUrl.href);
    const sources: Array<Promise<ReceivedCallback>> = [callback.received];
    if (options.openBrowser === false) {
      if (options.pasteInput) {
        reporter.info(`Not starting a browser (--no-browser). If the browser runs on another machine, it ends on an address starting with ${callback.redirectUri} that does not load: paste that whole address here and press Enter.`);
        sources.push(readPastedRedirect(options.pasteInput, callback.redirectUri, reporter));
      }
    } else {
      const opened = await openBrowser(authorizationUrl.href, options.env ?? process.env);
      reporter.info(opened.opened ? `Opened the browser (${opened.command}); waiting for you to finish signing in…` : `Could not start a browser (${opened.command}: ${opened.error}); open the URL above yourself.`);
    }

    const received = await withTimeout(Promise.race(sources), timeoutMs, options.url);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, received.url, { pkceCodeVerifier: verifier, expectedState: state }, { resource: discovery.resource });
    } catch (error) {
      const failure = callbackFailure(error, options.url, as.metadata.issuer);
      received.respond({ ok: false, message: failure.message });
      throw failure;
    }
    received.respond({ ok: true, message: options.doneMessage ?? 'You are signed in. You can close this tab and return to the terminal.' });
    return {
      version: 1,
      kind: 'oauth',
      url: options.url,
      resource: discovery.resource,
      obtainedAt: new Date().toISOString(),
      ...tokenFields(tokens, { scope }),
      client,
      authorizationServer: { issuer: as.metadata.issuer, metadata: { ...as.metadata } },
    };
  } finally {
    await callback.close();
  }
}

/** Reads lines until one is the redirect URL (or just its query); ignores anything else with a hint. */
function readPastedRedirect(input: NodeJS.ReadableStream, redirectUri: string, reporter: Reporter): Promise<ReceivedCallback> {
  return new Promise((resolve) => {
    const lines = createInterface({ input, terminal: false });
    lines.on('line', (line) => {
      const text = line.trim();
      if (!text) return;
      const query = text.includes('?') ? text.slice(text.indexOf('?')) : text;
      const params = new URLSearchParams(query);
      if (!params.has('code') && !params.has('error')) {
        reporter.info(`That is not the sign-in redirect; paste the whole address starting with ${redirectUri}.`);
        return;
      }
      lines.close();
      const url = new URL(redirectUri);
      url.search = params.toString();
      resolve({ url, respond: () => {} });
    });
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, url: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LoginError(
            'timeout',
            `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for the sign-in to finish in the browser. Run \`${loginCommand(url)}\` again; on a remote shell add --no-browser and paste the address the browser ends on.`,
          ),
        ),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function callbackFailure(error: unknown, url: string, issuer: string): LoginError {
  if (error instanceof oidc.AuthorizationResponseError) {
    if (error.error === 'access_denied') {
      return new LoginError(
        'access_denied',
        `Access was denied: the sign-in at ${issuer} was declined${error.error_description ? ` (${error.error_description})` : ''}. Nothing was stored. Run \`${loginCommand(url)}\` again and approve access, granting at least one workspace.`,
      );
    }
    return new LoginError('authorization_failed', `The authorization server refused the sign-in: ${oauthErrorText(error)}. Run \`${loginCommand(url)}\` to try again.`);
  }
  // openid-client wraps the precise complaint ("unexpected "state" …") as the cause of a generic error.
  const cause = (error as { cause?: unknown })?.cause;
  const message = [error, cause].map((e) => (e instanceof Error ? e.message : '')).join(' ');
  if (message.includes('"state"')) {
    return new LoginError('state_mismatch', `The sign-in response did not carry the state this login sent (a stale tab or a forged request); nothing was stored. Run \`${loginCommand(url)}\` again.`);
  }
  if (message.includes('"iss"')) {
    return new LoginError('issuer_mismatch', `The sign-in response names a different authorization server than ${issuer} (iss mismatch); nothing was stored. Run \`${loginCommand(url)}\` again.`);
  }
  return new LoginError('token_exchange_failed', `Exchanging the authorization code failed: ${oauthErrorText(error)}. Run \`${loginCommand(url)}\` again.`);
}
