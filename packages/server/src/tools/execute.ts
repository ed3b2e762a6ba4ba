import type { z } from 'zod';
import { canWrite } from '../auth/credential.js';
import { ToolError } from '../core/errors.js';
import { workspaceResolver } from '../core/workspace-access.js';
import { isUniqueViolation } from '../store/errors.js';
import { isWriteKind, type AnyTool, type ToolContext } from './define.js';
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
 * logs it and answers with a generic internal error.
 */
export async function executeTool(tool: AnyTool, rawArgs: unknown, ctx: ToolContext): Promise<CallToolResult> {
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
    return isWriteKind(tool.kind) ? await executeWrite(tool, args, ctx) : await run(tool, args, ctx);
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

async function run(tool: AnyTool, args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult> {
  return successResult(tool.output.parse(await tool.handler(args, ctx)) as Record<string, unknown>);
}

/**
 * A write runs in one transaction together with its idempotency record: either both the write
 * and the key are committed or neither is, so a crash can leave neither a write without its key
 * (a retry would write again) nor a key without its write (a retry would replay nothing).
 * Rejections (validation, auth, tool errors) roll back and store no key, so they can be retried.
 */
async function executeWrite(tool: AnyTool, args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult> {
  if (!canWrite(ctx.credential)) {
    throw new ToolError('forbidden', `${tool.name} needs a read_write credential with the mcp:write scope.`);
  }
  const key = pickIdempotencyKey(args.idempotency_key, ctx.idempotencyKeyHeader);
  const workspace = await ctx.workspace(String(args.workspace_id));
  const now = ctx.now();
  // The slug and the id name the same workspace: a retry may use either.
  const hash = requestHash({ ...args, workspace_id: workspace.id });
  try {
    return await ctx.store.transaction(async (trx) => {
      const scope = key === undefined ? undefined : { workspaceId: workspace.id, tool: tool.name, key };
      if (scope) {
        await lockIdempotencyKey(trx.db, trx.dialect, scope);
        const replay = await findReplay(trx.db, scope, hash, now);
        if (replay) return replay;
      }
      // Everything the handler runs, queries and searches, goes through the transaction: through
      // ctx.store it would wait for the connection the transaction holds (SQLite has one) and
      // never return. The workspace was resolved above.
      const store = { ...ctx.store, db: trx.db, search: trx.search };
      const resolve = workspaceResolver(trx.db, ctx.credential);
      const inTransaction = async (idOrSlug: string) =>
        idOrSlug === workspace.id || idOrSlug === workspace.slug ? workspace : resolve(idOrSlug);
      const result = await run(tool, args, { ...ctx, store, workspace: inTransaction });
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
