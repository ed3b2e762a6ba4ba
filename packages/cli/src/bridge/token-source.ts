import { LoginRequiredError, loginCommand } from '../auth/errors.js';

/**
 * What the bridge needs from the credential store: a bearer token for the server, and a fresh one
 * after the server refused the current one. Kept this small so the relay can run on an API token
 * (`CONDUIT_API_TOKEN`), on the OAuth credentials that `conduit-mcp login` stores, or on a test's
 * token without knowing which.
 */
export interface TokenSource {
  /** The token to send now (cached when possible). Throws an AuthError (NotLoggedInError, LoginRequiredError) when there is none. */
  token(): Promise<string>;
  /**
   * Called after the server answered 401 to `rejected`. Returns a token worth one retry, or throws
   * an AuthError when only the user can help (a new login, a new API token).
   */
  refresh(rejected: string): Promise<string>;
  /**
   * Stored credentials only (absent for a fixed token): what the store holds for the server now,
   * read without refreshing anything, so the bridge can notice a sign-in by any process.
   */
  peek?(): Promise<StoredToken | null>;
  /** Drops any token kept in memory: the store holds a new credential. */
  reload?(): void;
}

/** A stored credential as the bridge compares them: its bearer token and, for OAuth, the granted scope. */
export interface StoredToken {
  kind: 'oauth' | 'api_token';
  token: string;
  scope?: string | undefined;
}

/**
 * A fixed API token from the environment (`CONDUIT_API_TOKEN`): nothing to refresh, so a 401 means
 * it expired or was revoked, and only the user can replace it. It overrides stored credentials, so
 * signing in again helps only once the variable is gone.
 */
export function staticTokenSource(token: string, variable: string, url: string): TokenSource {
  return {
    token: async () => token,
    refresh: async () => {
      throw new LoginRequiredError(
        url,
        `The server rejected the API token in ${variable} (expired, revoked, or made for another server).`,
        `Put a new API token in ${variable} where your MCP client starts conduit-mcp and restart it there, or remove ${variable} and run \`${loginCommand(url)}\` in a terminal.`,
      );
    },
  };
}

/**
 * Serialises refreshes: concurrent 401s share one refresh, and a request that was refused with a
 * token that has since been replaced just retries with the new one instead of refreshing again
 * (rotating refresh tokens must never be spent twice).
 */
export function singleFlight(source: TokenSource): TokenSource {
  let current: string | undefined;
  let refreshing: Promise<string> | undefined;
  return {
    ...(source.peek ? { peek: () => source.peek!() } : {}),
    reload() {
      current = undefined;
      source.reload?.();
    },
    async token() {
      if (refreshing) return refreshing;
      current = await source.token();
      return current;
    },
    async refresh(rejected) {
      if (refreshing) return refreshing;
      if (current !== undefined && current !== rejected) return current;
      refreshing = source.refresh(rejected).then(
        (token) => {
          current = token;
          refreshing = undefined;
          return token;
        },
        (error: unknown) => {
          refreshing = undefined;
          throw error;
        },
      );
      return refreshing;
    },
  };
}
