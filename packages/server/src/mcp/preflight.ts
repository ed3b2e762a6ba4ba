import { canWrite, type Credential } from '../core/credential.js';
import { workspaceResolver } from '../core/workspace-access.js';
import { RateLimiterUnavailableError, type RateLimitDecision, type RateLimiter } from '../limits/policy.js';
import type { DataSource } from '../store/store.js';
import { isWriteKind, type AnyTool, type CallContext } from '../tools/define.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { JsonRpcRequest } from './protocol.js';

/** One policy, two kinds of bucket: a workspace's (shared by every client of it) and a credential's own. */
export interface McpRateLimits {
  workspace: RateLimiter;
  credential: RateLimiter;
}

export interface PreflightDeps {
  data: DataSource;
  registry: ToolRegistry;
  /** Signs pagination cursors. */
  cursorKey: Buffer;
  /** The request limit; absent when disabled. */
  rateLimits?: McpRateLimits | undefined;
}

/** One authenticated JSON-RPC request, as the transport received it. */
export interface McpRequest {
  message: JsonRpcRequest;
  credential: Credential;
  /** The request's `Idempotency-Key` header, if any. */
  idempotencyKeyHeader: string | undefined;
  /** Aborted when the request's client goes away. */
  signal?: AbortSignal | undefined;
}

/** The bucket a request drew from and what it said, for the transport's RateLimit headers. */
export interface LimitTaken {
  limiter: Pick<RateLimiter, 'name' | 'policy'>;
  decision: RateLimitDecision;
}

/**
 * What the MCP layer decided about a request before running it. The transport turns each
 * outcome into its own terms (HTTP statuses and headers); nothing here knows about HTTP.
 */
export type Preflight =
  /** The limiter's backend did not answer: nothing was counted or run (fail closed). */
  | { outcome: 'limiter_unavailable'; reason: string }
  | { outcome: 'rate_limited'; limit: LimitTaken }
  /** A write tool called by a credential without write access: the credential must change, not the call. */
  | { outcome: 'insufficient_scope'; tool: AnyTool; limit: LimitTaken | undefined }
  | {
      outcome: 'run';
      /** The tool a tools/call names, when it exists (for metrics). */
      tool: AnyTool | undefined;
      limit: LimitTaken | undefined;
      /** Builds the call's context; only tools/call needs one. */
      context: () => CallContext;
    };

export type McpPreflight = (request: McpRequest) => Promise<Preflight>;

/**
 * The MCP decisions about a request, in one place: which rate-limit bucket it draws from, whether
 * its credential may run the tool it calls, and the context the tool runs with. Notifications
 * (no id) are not counted: they run nothing and get no answer.
 */
export function createPreflight(deps: PreflightDeps): McpPreflight {
  return async ({ message, credential, idempotencyKeyHeader, signal }) => {
    let limit: LimitTaken | undefined;
    if (deps.rateLimits && message.id !== undefined) {
      const [limiter, subject] = await rateLimitBucket(deps, deps.rateLimits, message, credential);
      try {
        limit = { limiter, decision: await limiter.take(subject) };
      } catch (error) {
        if (!(error instanceof RateLimiterUnavailableError)) throw error;
        return { outcome: 'limiter_unavailable', reason: error.message };
      }
      if (!limit.decision.allowed) return { outcome: 'rate_limited', limit };
    }
    const tool = message.method === 'tools/call' ? deps.registry.get(String(message.params?.name ?? '')) : undefined;
    if (tool && message.id !== undefined && isWriteKind(tool.kind) && !canWrite(credential)) {
      return { outcome: 'insufficient_scope', tool, limit };
    }
    const context = (): CallContext => ({
      data: deps.data,
      credential,
      cursorKey: deps.cursorKey,
      idempotencyKeyHeader,
      now: () => new Date(),
      servedTools: deps.registry.served,
      signal,
    });
    return { outcome: 'run', tool, limit, context };
  };
}

/**
 * Which bucket a request draws from: the workspace a tool call names (when the credential may use
 * it), so every client of a workspace shares its limit; otherwise the credential's own bucket.
 */
async function rateLimitBucket(
  deps: PreflightDeps,
  limits: McpRateLimits,
  message: JsonRpcRequest,
  credential: Credential,
): Promise<[RateLimiter, string]> {
  const args = message.method === 'tools/call' ? message.params?.arguments : undefined;
  const workspaceId = args && typeof args === 'object' ? (args as Record<string, unknown>).workspace_id : undefined;
  if (typeof workspaceId === 'string') {
    const workspace = await workspaceResolver(deps.data.db, credential)(workspaceId).catch(() => null);
    if (workspace) return [limits.workspace, workspace.id];
  }
  return [limits.credential, credential.id];
}
