import { staticTokenSource, type StoredToken, type TokenSource } from './token-source.js';

/** Matches the credential layer's REFRESH_MARGIN_MS: hand out a cached token only while it has a minute left. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * The bridge's credential: `CONDUIT_API_TOKEN` when set (CI, server-to-server), otherwise what
 * `conduit-mcp login` (or the bridge's own sign-in) stored for this server, through the CLI's auth
 * layer (keychain or file store, proactive refresh, one refresh at a time across processes). Never
 * interactive itself: signing in is the bridge's conduit_sign_in (see access.ts).
 *
 * The token is kept in memory until shortly before it expires, so a call costs no keychain read.
 */
export function bridgeTokenSource(resourceUrl: string, env: NodeJS.ProcessEnv = process.env): TokenSource {
  const apiToken = env.CONDUIT_API_TOKEN?.trim();
  // The environment token needs none of the auth layer: skip loading it (start-up time).
  if (apiToken) return staticTokenSource(apiToken, 'CONDUIT_API_TOKEN', resourceUrl);

  let cached: { token: string; expiresAt: number } | undefined;
  const fetchToken = async (rejectedToken?: string): Promise<string> => {
    const { getAccessToken } = await import('../auth/access-token.js');
    try {
      const { token, credential } = await getAccessToken(resourceUrl, { interactive: false, env, ...(rejectedToken ? { rejectedToken } : {}) });
      const expiresAt = credential?.kind === 'oauth' && credential.expiresAt ? Date.parse(credential.expiresAt) : Number.POSITIVE_INFINITY;
      cached = { token, expiresAt };
      return token;
    } catch (error) {
      // NotLoggedIn, LoginRequired (refresh refused, API token rejected): the user has to act, and
      // the messages say how.
      cached = undefined;
      throw error;
    }
  };
  return {
    token: async () => (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now() ? cached.token : fetchToken()),
    refresh: (rejected) => fetchToken(rejected),
    async peek(): Promise<StoredToken | null> {
      const [{ resolveStore }, { canonicalUrl }, { stderrReporter }] = await Promise.all([
        import('../credentials/resolve.js'),
        import('../auth/url.js'),
        import('../output.js'),
      ]);
      const { store } = await resolveStore(env, stderrReporter(env));
      const credential = await store.get(canonicalUrl(resourceUrl));
      if (!credential) return null;
      return credential.kind === 'oauth'
        ? { kind: 'oauth', token: credential.accessToken, scope: credential.scope }
        : { kind: 'api_token', token: credential.token };
    },
    reload() {
      cached = undefined;
    },
  };
}
