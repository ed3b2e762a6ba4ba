import { ENV_TOKEN, resolveStore, type ResolvedStore } from '../credentials/resolve.js';
import type { Credential } from '../credentials/types.js';
import { stderrReporter, type Reporter } from '../output.js';
import { LoginRequiredError, loginCommand, NotLoggedInError } from './errors.js';
import { login, type LoginOptions } from './login.js';
import { isFresh, refreshCredential } from './refresh.js';
import { canonicalUrl } from './url.js';

export interface AccessTokenOptions {
  /** Start a browser login when there is no usable credential (false: throw NotLoggedInError / LoginRequiredError). */
  interactive?: boolean;
  /** Options for that login. */
  login?: Omit<LoginOptions, 'url' | 'env' | 'reporter' | 'store'>;
  /** Refresh even if the token looks fresh (the server rejected it); see RefreshOptions.rejectedToken. */
  rejectedToken?: string;
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
  store?: ResolvedStore;
}

export interface AccessToken {
  token: string;
  /** Where it came from: the environment, an API token or an OAuth login. */
  source: 'env' | 'api_token' | 'oauth';
  credential?: Credential;
}

/**
 * A valid access token for the MCP endpoint `resourceUrl`: `CONDUIT_API_TOKEN` if set, else the stored
 * credential, refreshed first when it is about to expire. Without a usable credential it throws
 * NotLoggedInError / LoginRequiredError (whose messages name `conduit-mcp login --url …`), or with
 * `interactive: true` runs the browser login.
 */
export async function getAccessToken(resourceUrl: string, options: AccessTokenOptions = {}): Promise<AccessToken> {
  const env = options.env ?? process.env;
  const envToken = env[ENV_TOKEN]?.trim();
  if (envToken) return { token: envToken, source: 'env' };

  const url = canonicalUrl(resourceUrl);
  const reporter = options.reporter ?? stderrReporter(env);
  const store = options.store ?? (await resolveStore(env, reporter));
  const interactiveLogin = async (): Promise<AccessToken> => {
    const { credential } = await login({ ...options.login, url, env, reporter, store });
    return { token: credential.accessToken, source: 'oauth', credential };
  };

  const stored = await store.store.get(url);
  if (!stored) {
    if (options.interactive) return interactiveLogin();
    throw new NotLoggedInError(url);
  }
  if (stored.kind === 'api_token') {
    // An API token cannot be refreshed: once the server refused it, only a new one (or a login) helps.
    if (options.rejectedToken === stored.token) {
      throw new LoginRequiredError(
        url,
        `The server rejected the API token stored for ${url} (expired or revoked).`,
        `Store a new one with \`${loginCommand(url)} --token-stdin\`, or sign in with \`${loginCommand(url)}\`.`,
      );
    }
    return { token: stored.token, source: 'api_token', credential: stored };
  }
  const rejected = options.rejectedToken !== undefined && options.rejectedToken === stored.accessToken;
  if (!rejected && isFresh(stored)) return { token: stored.accessToken, source: 'oauth', credential: stored };
  try {
    const refreshed = await refreshCredential(url, { store, reporter, force: rejected, ...(options.rejectedToken ? { rejectedToken: options.rejectedToken } : {}) });
    return { token: refreshed.accessToken, source: 'oauth', credential: refreshed };
  } catch (error) {
    if (options.interactive && (error instanceof LoginRequiredError || error instanceof NotLoggedInError)) {
      reporter.info(error.message.replace(/ Run `.*$/, ''));
      return interactiveLogin();
    }
    throw error;
  }
}
