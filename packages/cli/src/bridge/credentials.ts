import { LoginRequiredError, staticTokenSource, type TokenSource } from './token-source.js';

/** Matches the credential layer's REFRESH_MARGIN_MS: hand out a cached token only while it has a minute left. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * The bridge's credential: `CONDUIT_API_TOKEN` when set (CI, server-to-server), otherwise what
 * `conduit-mcp login` stored for this server, through the CLI's auth layer (keychain or file
 * store, proactive refresh, one refresh at a time across processes). Never interactive: a bridge
 * is started by an MCP host in the background, where nobody would see a browser or a prompt.
 *
 * The token is kept in memory until shortly before it expires, so a call costs no keychain read.
 */
export function bridgeTokenSource(resourceUrl: string, env: NodeJS.ProcessEnv = process.env): TokenSource {
  const apiToken = env.CONDUIT_API_TOKEN?.trim();
  // The environment token needs none of the auth layer: skip loading it (start-up time).
  if (apiToken) return staticTokenSource(apiToken, 'CONDUIT_API_TOKEN');

  let cached: { token: string; expiresAt: number } | undefined;
  const fetchToken = async (rejectedToken?: string): Promise<string> => {
    const [{ getAccessToken }, { AuthError }] = await Promise.all([import('../auth/access-token.js'), import('../auth/errors.js')]);
    try {
      const { token, credential } = await getAccessToken(resourceUrl, { interactive: false, env, ...(rejectedToken ? { rejectedToken } : {}) });
      const expiresAt = credential?.kind === 'oauth' && credential.expiresAt ? Date.parse(credential.expiresAt) : Number.POSITIVE_INFINITY;
      cached = { token, expiresAt };
      return token;
    } catch (error) {
      cached = undefined;
      // NotLoggedIn, LoginRequired (refresh refused), discovery problems: all need the user, and
      // their messages already say what to run.
      if (error instanceof AuthError) throw new LoginRequiredError(error.message);
      throw error;
    }
  };
  return {
    token: async () => (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now() ? cached.token : fetchToken()),
    refresh: (rejected) => fetchToken(rejected),
  };
}
