import { resolveStore } from '../credentials/resolve.js';
import { stderrReporter } from '../output.js';
import { proxyFetch } from '../proxy-fetch.js';
import { getAccessToken, type AccessTokenOptions } from './access-token.js';
import { AuthError, LoginRequiredError, NotLoggedInError } from './errors.js';
import { login } from './login.js';
import { hasScopes, unionScopes } from './scopes.js';
import { canonicalUrl } from './url.js';
import { parseBearerChallenge } from './www-authenticate.js';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface AuthFetchOptions extends AccessTokenOptions {
  /** Scope step-ups (403 insufficient_scope → new login with more scope) allowed over this fetch's lifetime. */
  maxStepUps?: number;
  fetch?: FetchLike;
}

/**
 * A fetch for the MCP transport that authenticates every request to `resourceUrl`: it attaches the
 * current access token (refreshed before expiry), and on 401 refreshes once — or, when interactive
 * and the credential is gone, logs in using the challenge's metadata pointer — then retries once.
 * On 403 `insufficient_scope` it logs in again asking for the union of the granted and the required
 * scopes (step-up), unless the token already has them, then retries once; the number of step-ups is
 * bounded so a server that never accepts cannot cause endless authorization loops.
 */
export function createAuthFetch(resourceUrl: string, options: AuthFetchOptions = {}): FetchLike {
  const url = canonicalUrl(resourceUrl);
  const env = options.env ?? process.env;
  const reporter = options.reporter ?? stderrReporter(env);
  const baseFetch = options.fetch ?? proxyFetch;
  const maxStepUps = options.maxStepUps ?? 2;
  let stepUps = 0;

  const currentToken = async (rejectedToken?: string) => {
    try {
      return await getAccessToken(url, { ...options, env, reporter, ...(rejectedToken ? { rejectedToken } : {}), interactive: false });
    } catch (error) {
      // Not logged in yet: go unauthenticated, so the server's 401 challenge can drive discovery.
      if (error instanceof NotLoggedInError && options.interactive) return null;
      throw error;
    }
  };
  const send = (input: string | URL, init: RequestInit | undefined, token: string | null) => {
    const headers = new Headers(init?.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    else headers.delete('authorization');
    return baseFetch(input, { ...init, headers });
  };
  const interactiveLogin = async (challenge: ReturnType<typeof parseBearerChallenge>, scope?: string) => {
    const store = options.store ?? (await resolveStore(env, reporter));
    const { credential } = await login({ ...options.login, ...(scope ? { scope } : {}), ...(challenge ? { challenge } : {}), url, env, reporter, store });
    return credential;
  };

  return async (input, init) => {
    const current = await currentToken();
    let response = await send(input, init, current?.token ?? null);

    if (response.status === 401) {
      const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
      let next: string | null = null;
      if (current && current.source === 'oauth') {
        try {
          next = (await currentToken(current.token))?.token ?? null;
        } catch (error) {
          if (!(error instanceof AuthError) || !options.interactive) throw error;
        }
      }
      if (!next && options.interactive && current?.source !== 'env' && current?.source !== 'api_token') {
        next = (await interactiveLogin(challenge)).accessToken;
      }
      if (!next) {
        if (!current) throw new NotLoggedInError(url);
        if (current.source === 'oauth') throw new LoginRequiredError(url, `The server rejected the saved login for ${url}.`);
        return response;
      }
      await response.body?.cancel();
      response = await send(input, init, next);
    }

    if (response.status === 403 && options.interactive) {
      const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
      if (challenge?.error === 'insufficient_scope' && challenge.scope && stepUps < maxStepUps) {
        const stored = await currentToken();
        const granted = stored?.credential?.kind === 'oauth' ? stored.credential.scope : undefined;
        if (stored?.source === 'oauth' && !hasScopes(granted, challenge.scope)) {
          stepUps += 1;
          reporter.info(`The server needs more access (${challenge.scope}); signing in again to grant it.`);
          const credential = await interactiveLogin(challenge, unionScopes(granted, challenge.scope));
          await response.body?.cancel();
          response = await send(input, init, credential.accessToken);
        }
      }
    }
    return response;
  };
}
