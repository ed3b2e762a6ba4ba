import { LoginRequiredError, staticTokenSource, type TokenSource } from './token-source.js';

/**
 * Picks the bridge's credential: `CONDUIT_API_TOKEN` when set (CI, server-to-server), otherwise
 * what `conduit-mcp login` stored for this server. Never interactive: a bridge is started by an
 * MCP host in the background, where nobody would see a browser window or answer a prompt.
 */
export function bridgeTokenSource(resourceUrl: string, env: NodeJS.ProcessEnv = process.env): TokenSource {
  const apiToken = env.CONDUIT_API_TOKEN?.trim();
  if (apiToken) return staticTokenSource(apiToken, 'CONDUIT_API_TOKEN');
  return {
    token: async () => {
      throw new LoginRequiredError(`Not logged in to ${resourceUrl}.`);
    },
    refresh: async () => {
      throw new LoginRequiredError(`Not logged in to ${resourceUrl}.`);
    },
  };
}
