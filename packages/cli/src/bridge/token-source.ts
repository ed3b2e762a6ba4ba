/**
 * What the bridge needs from the credential store: a bearer token for the server, and a fresh one
 * after the server refused the current one. Kept this small so the relay can run on an API token
 * (`CONDUIT_API_TOKEN`), on the OAuth credentials that `conduit-mcp login` stores, or on a test's
 * token without knowing which.
 */
export interface TokenSource {
  /** The token to send now (cached when possible). Throws LoginRequiredError when there is none. */
  token(): Promise<string>;
  /**
   * Called after the server answered 401 to `rejected`. Returns a token worth one retry, or throws
   * LoginRequiredError when only a new login can help.
   */
  refresh(rejected: string): Promise<string>;
}

/** No usable credential: the message tells the user what to run; the bridge never opens a browser itself. */
export class LoginRequiredError extends Error {
  override readonly name = 'LoginRequiredError';
}

/** The command a user runs to log in to `url`, as they would type it. */
export function loginCommand(url: string, defaultUrl: string): string {
  return url === defaultUrl ? 'npx conduit-mcp login' : `npx conduit-mcp login --url ${url}`;
}

/** A fixed token (an API token from the environment): nothing to refresh, a 401 means it was revoked. */
export function staticTokenSource(token: string, origin: string): TokenSource {
  return {
    token: async () => token,
    refresh: async () => {
      throw new LoginRequiredError(`The server rejected the token from ${origin} (expired, revoked or not for this server).`);
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
