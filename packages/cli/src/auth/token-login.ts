import type { ResolvedStore } from '../credentials/resolve.js';
import type { ApiTokenCredential } from '../credentials/types.js';
import { listWorkspaces, TokenRejectedError, ToolCallError, withMcpClient, type Workspace } from '../mcp-client.js';
import { AuthError } from './errors.js';

export interface TokenLoginResult {
  credential: ApiTokenCredential;
  workspaces: Workspace[];
  /** Set when the token authenticates but list_workspaces failed (e.g. not attached to any workspace). */
  workspaceProblem?: string;
}

/**
 * Stores a `capi_` API token for `url` after checking the server accepts it (an MCP initialize with
 * it as bearer) and listing the workspaces it can use. A rejected token is never stored.
 */
export async function loginWithApiToken(url: string, token: string, store: ResolvedStore): Promise<TokenLoginResult> {
  const trimmed = token.trim();
  if (!trimmed) throw new AuthError('empty_token', 'The API token is empty.');
  if (/\s/.test(trimmed)) throw new AuthError('invalid_token', 'The API token must be a single word (e.g. capi_…).');
  let workspaces: Workspace[] = [];
  let workspaceProblem: string | undefined;
  try {
    await withMcpClient(url, trimmed, async (client) => {
      try {
        workspaces = await listWorkspaces(client);
      } catch (error) {
        if (!(error instanceof ToolCallError)) throw error;
        workspaceProblem = error.message;
      }
    });
  } catch (error) {
    if (error instanceof TokenRejectedError) {
      throw new AuthError('token_rejected', `${url}: ${error.message}. Nothing was stored. Check the token under Settings > API Tokens (it may have been rotated or revoked).`);
    }
    throw error;
  }
  const credential: ApiTokenCredential = { version: 1, kind: 'api_token', url, obtainedAt: new Date().toISOString(), token: trimmed };
  await store.store.set(url, credential);
  return { credential, workspaces, ...(workspaceProblem ? { workspaceProblem } : {}) };
}
