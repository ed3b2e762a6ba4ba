import type { ResolvedStore } from '../credentials/resolve.js';
import type { ApiTokenCredential, Credential } from '../credentials/types.js';
import { listWorkspaces, ToolCallError, withMcpClient, type Workspace } from '../mcp-client.js';
import { probeEndpoint, type EndpointProbe } from './discovery.js';
import { httpProblem, unreachableProblem } from './endpoint-problem.js';
import { AuthError } from './errors.js';

export interface TokenLoginResult {
  credential: ApiTokenCredential;
  workspaces: Workspace[];
  /** Set when the token authenticates but list_workspaces failed (e.g. not attached to any workspace). */
  workspaceProblem?: string;
  /** The credential stored for this server before, which the new token replaced. */
  replaced: Credential | null;
}

/**
 * Stores a `capi_` API token for `url` after checking the server accepts it (an MCP initialize with
 * it as bearer) and listing the workspaces it can use. A rejected token is never stored, and a
 * server that cannot be reached, or a URL that is not its endpoint, is named with the fix.
 */
export async function loginWithApiToken(url: string, token: string, store: ResolvedStore): Promise<TokenLoginResult> {
  const trimmed = token.trim();
  if (!trimmed) throw new AuthError('empty_token', 'The API token is empty.');
  if (/\s/.test(trimmed)) throw new AuthError('invalid_token', 'The API token must be a single word (e.g. capi_…).');
  let probe: EndpointProbe;
  try {
    probe = await probeEndpoint(url, trimmed);
  } catch (error) {
    const problem = unreachableProblem(url, error);
    if (!problem) throw error;
    throw new AuthError('unreachable', `${problem.what}. Nothing was stored. Fix: ${problem.fix} \`conduit-mcp doctor --url ${url}\` checks each step.`);
  }
  if (probe.status === 401) {
    throw new AuthError(
      'token_rejected',
      `${url} rejected the token (HTTP 401${probe.detail ? `: ${probe.detail}` : ''}). Nothing was stored. Check the token under Settings > API Tokens (it may have been rotated, revoked or expired); on a self-hosted server \`conduit-mcp-server tokens list\` shows its state.`,
    );
  }
  const problem = await httpProblem(url, probe);
  if (problem) throw new AuthError('endpoint_problem', `${problem.what}. Nothing was stored. Fix: ${problem.fix}`);

  let workspaces: Workspace[] = [];
  let workspaceProblem: string | undefined;
  await withMcpClient(url, trimmed, async (client) => {
    try {
      workspaces = await listWorkspaces(client);
    } catch (error) {
      if (!(error instanceof ToolCallError)) throw error;
      workspaceProblem = error.message;
    }
  });
  const credential: ApiTokenCredential = { version: 1, kind: 'api_token', url, obtainedAt: new Date().toISOString(), token: trimmed };
  const replaced = await store.store.get(url);
  await store.store.set(url, credential);
  return { credential, workspaces, replaced, ...(workspaceProblem ? { workspaceProblem } : {}) };
}
