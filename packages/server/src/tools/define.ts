import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Credential } from '../core/credential.js';
import type { Workspace } from '../core/workspace-access.js';
import type { Database } from '../store/schema.js';
import type { SearchEngine } from '../store/search.js';
import type { DataSource } from '../store/store.js';
import { workspaceIdSchema } from './schemas.js';

/**
 * What a tool does to the world. The kind decides the four MCP annotations (see
 * `annotationsFor`), whether the tool needs a read_write credential, and whether it takes
 * an idempotency key, so none of these can be set inconsistently by hand.
 */
export type ToolKind = 'read' | 'create' | 'update' | 'delete' | 'send';

export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

const HINTS: Record<ToolKind, Omit<ToolAnnotations, 'title'>> = {
  read: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  create: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  update: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  delete: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  // A send reaches a real person outside the system and cannot be taken back.
  send: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
};

export function annotationsFor(kind: ToolKind, title: string): ToolAnnotations {
  return { title, ...HINTS[kind] };
}

export function isWriteKind(kind: ToolKind): boolean {
  return kind !== 'read';
}

/**
 * The tools of the registry serving a call, so a handler that names tools (a skill's
 * allowed_tools) checks against what this server really offers, not the whole catalog.
 */
export interface ServedTools {
  /** Names as tools/list shows them. */
  readonly names: ReadonlySet<string>;
  /** Names accepted by tools/call for a served tool, and the listed name each stands for. */
  readonly aliases: ReadonlyMap<string, string>;
}

/**
 * What the MCP layer hands over to run one tools/call: the request's credential and headers, and
 * the data source, which only executeTool touches (handlers get a ToolContext instead).
 */
export interface CallContext {
  /** Reads run on it; a write opens one transaction on it. */
  data: DataSource;
  credential: Credential;
  /** Signs and checks pagination cursors (see pagination.ts). */
  cursorKey: Buffer;
  /** The `Idempotency-Key` HTTP header of the request, if any. */
  idempotencyKeyHeader: string | undefined;
  /** Server-side time, injectable so tests can fix "now". */
  now(): Date;
  /** The tools the serving registry offers. */
  servedTools: ServedTools;
  /** Aborted when the request's client goes away: heavy reads (searches) pass it on and stop. */
  signal?: AbortSignal | undefined;
}

/**
 * Everything a handler may use, built by executeTool for one run. `db` and `search` are bound to
 * the same connection: the store's for a read, the write's transaction for a write. A handler
 * never sees the Store itself (no close(), no transactions of its own).
 */
export interface ToolContext {
  /** The name of the tool running: cursors are bound to it. */
  tool: string;
  db: Kysely<Database>;
  search: SearchEngine;
  credential: Credential;
  /** Resolves a `workspace_id` argument (id or slug) the credential was granted, else `forbidden`. */
  workspace(idOrSlug: string): Promise<Workspace>;
  cursorKey: Buffer;
  now(): Date;
  servedTools: ServedTools;
  /** Aborted when the request's client goes away: heavy reads (searches) pass it on and stop. */
  signal?: AbortSignal | undefined;
}

// Handlers see the parsed (defaulted) input and must return something the output schema accepts.
// They may return database rows as they are, with more columns than the schema declares:
// executeTool's output parse keeps only what the schema declares (so the schema is the one list
// of what a tool returns), and handlers convert only the fields that differ from the row.
export interface ToolDefinition<
  Input extends z.ZodObject = z.ZodObject,
  Output extends z.ZodType = z.ZodType,
> {
  name: string;
  title: string;
  description: string;
  kind: ToolKind;
  input: Input;
  output: Output;
  handler(args: z.output<Input>, ctx: ToolContext): Promise<z.input<Output>>;
}

/** Declares a tool. Identity at run time; exists so the types tie input, output and handler together. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodType>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}

/** The input of a tool that works in one workspace: `workspace_id` first, then its own arguments. */
export type WorkspaceInput<Shape extends z.ZodRawShape> = z.ZodObject<{ workspace_id: typeof workspaceIdSchema } & Shape>;

export interface WorkspaceToolDefinition<Shape extends z.ZodRawShape, Output extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  kind: ToolKind;
  /** The arguments after `workspace_id`. */
  input: Shape;
  output: Output;
  /** Runs with the workspace `workspace_id` names, resolved against the credential's grants. */
  handler(args: z.output<WorkspaceInput<Shape>>, ctx: ToolContext, workspace: Workspace): Promise<z.input<Output>>;
}

/**
 * Declares a tool that works in one workspace (every tool but list_workspaces): its input starts
 * with `workspace_id`, which is resolved (id or slug; `forbidden` unless granted) before the
 * handler runs.
 */
export function defineWorkspaceTool<Shape extends z.ZodRawShape, Output extends z.ZodType>(
  definition: WorkspaceToolDefinition<Shape, Output>,
): ToolDefinition<WorkspaceInput<Shape>, Output> {
  const { input, handler, ...rest } = definition;
  return {
    ...rest,
    input: z.object({ workspace_id: workspaceIdSchema, ...input }) as WorkspaceInput<Shape>,
    // The generic output type of the object cannot be narrowed here; workspace_id is its first key.
    handler: async (args, ctx) => handler(args, ctx, await ctx.workspace((args as { workspace_id: string }).workspace_id)),
  };
}

/** Any tool, for registries and the MCP layer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<z.ZodObject, z.ZodType<any>>;
