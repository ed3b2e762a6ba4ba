import type { z } from 'zod';
import { ToolError } from '../core/errors.js';
import { workspaceResolver, type Workspace } from '../core/workspace-access.js';
import { isUniqueViolation } from '../store/errors.js';
import type { DataScope } from '../store/store.js';
import { isWriteKind, type AnyTool, type CallContext, type ToolContext } from './define.js';
import { findReplay, lockIdempotencyKey, pickIdempotencyKey, remember, requestHash } from './idempotency.js';
import { errorResult, successResult, type CallToolResult } from './result.js';

/** Describes zod issues as one sentence naming each bad argument. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'arguments'}: ${issue.message}`)
    .join('; ');
}

/**
 * Validates arguments, runs the handler and validates what it returns. The output parse also
 * strips anything the schema does not declare, so an internal column can never leak into a
 * result. ToolErrors become `isError` results; anything else propagates to the caller, which
 * logs it and answers with a generic internal error. Whether the credential may run the tool at
 * all (write access) is the MCP preflight's decision, taken before this runs.
 */
export async function executeTool(tool: AnyTool, rawArgs: unknown, call: CallContext): Promise<CallToolResult> {
  const nul = pathOfNul(rawArgs);
  if (nul !== undefined) {
    return errorResult(new ToolError('invalid_argument', `${nul || 'arguments'}: text must not contain the NUL character (U+0000)`));
  }
  const parsed = tool.input.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    return errorResult(new ToolError('invalid_argument', describeIssues(parsed.error)));
  }
  const args = parsed.data as Record<string, unknown>;
  try {
    return isWriteKind(tool.kind) ? await executeWrite(tool, args, call) : await run(tool, args, toolContext(tool, call, call.data));
  } catch (error) {
    if (error instanceof ToolError) return errorResult(error);
    throw error;
  }
}

const MAX_ARGUMENT_DEPTH = 16;

/**
 * Where in the arguments a string holds U+0000, if anywhere. PostgreSQL text cannot store it
 * (the query fails, an internal error) while SQLite would, so it is refused up front on both.
 */
function pathOfNul(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  // No tool argument nests deeply; anything deeper is left to the schema (which refuses or strips it).
  if (typeof value !== 'object' || value === null || depth > MAX_ARGUMENT_DEPTH) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return path ? `${path}.${key}` : key;
    const found = pathOfNul(item, path ? `${path}.${key}` : key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The handler's view of a call: queries and search on `scope` (the store, or a write's transaction). */
function toolContext(
  tool: AnyTool,
  call: CallContext,
  scope: DataScope,
  workspace: ToolContext['workspace'] = workspaceResolver(scope.db, call.credential),
): ToolContext {
  return {
    tool: tool.name,
    db: scope.db,
    search: scope.search,
    credential: call.credential,
    workspace,
    cursorKey: call.cursorKey,
    now: call.now,
    servedTools: call.servedTools,
    signal: call.signal,
  };
}

async function run(tool: AnyTool, args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult> {
  return successResult(tool.output.parse(await tool.handler(args, ctx)) as Record<string, unknown>);
}

/**
 * A write runs in one transaction together with its idempotency record: either both the write
 * and the key are committed or neither is, so a crash can leave neither a write without its key
 * (a retry would write again) nor a key without its write (a retry would replay nothing).
 * Rejections (validation, auth, tool errors) roll back and store no key, so they can be retried.
 */
async function executeWrite(tool: AnyTool, args: Record<string, unknown>, call: CallContext): Promise<CallToolResult> {
  const key = pickIdempotencyKey(args.idempotency_key, call.idempotencyKeyHeader);
  const workspace = await workspaceResolver(call.data.db, call.credential)(String(args.workspace_id));
  const now = call.now();
  // The slug and the id name the same workspace: a retry may use either.
  const hash = requestHash({ ...args, workspace_id: workspace.id });
  try {
    return await call.data.transaction(async (trx) => {
      const scope = key === undefined ? undefined : { workspaceId: workspace.id, tool: tool.name, key };
      if (scope) {
        await lockIdempotencyKey(trx.db, trx.dialect, scope);
        const replay = await findReplay(trx.db, scope, hash, now);
        if (replay) return replay;
      }
      // Everything the handler runs, queries and searches, goes through the transaction (through
      // the store it would wait for the connection the transaction holds: SQLite has one).
      const result = await run(tool, args, toolContext(tool, call, trx, resolvedFirst(workspace, workspaceResolver(trx.db, call.credential))));
      if (scope) await remember(trx.db, scope, hash, result, now);
      return result;
    });
  } catch (error) {
    // Another request with the same key committed first while this one ran (the key lock above
    // prevents it; kept for a replica still running without it): this one rolled back, the
    // caller retries and gets the replay.
    if (key !== undefined && isUniqueViolation(error) && String((error as Error).message).includes('idempotency_keys')) {
      throw new ToolError('idempotency_key_in_use', `a request with idempotency key "${key}" is still in progress; retry shortly.`);
    }
    throw error;
  }
}

/** The workspace a write names was resolved before its transaction began: the handler gets it without a query. */
function resolvedFirst(workspace: Workspace, resolve: ToolContext['workspace']): ToolContext['workspace'] {
  return async (idOrSlug) => (idOrSlug === workspace.id || idOrSlug === workspace.slug ? workspace : resolve(idOrSlug));
}
