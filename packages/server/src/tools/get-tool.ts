import type { Selectable } from 'kysely';
import type { z } from 'zod';
import { findInWorkspace, type FindableTable } from '../core/find-in-workspace.js';
import type { Database } from '../store/schema.js';
import { defineWorkspaceTool, type ToolContext } from './define.js';

export interface GetToolDefinition<Table extends FindableTable, Argument extends string, Output extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  /** The table of the row, and the argument that names it by id. */
  row: { table: Table; argument: Argument; schema: z.ZodString };
  output: Output;
  toItem(row: Selectable<Database[Table]>, ctx: ToolContext): z.input<Output> | Promise<z.input<Output>>;
}

/** Declares a tool that reads one row of a workspace by its id: the row as `toItem` shows it, or not_found. */
export function defineGetTool<Table extends FindableTable, Argument extends string, Output extends z.ZodType>(
  definition: GetToolDefinition<Table, Argument, Output>,
) {
  const { row, toItem, ...tool } = definition;
  const input = { [row.argument]: row.schema } as { [K in Argument]: z.ZodString };
  return defineWorkspaceTool({
    ...tool,
    kind: 'read',
    input,
    async handler(args, ctx, workspace) {
      // The arguments' generic type cannot be narrowed here; the id argument is a string.
      const id = (args as Record<string, unknown>)[row.argument] as string;
      return toItem(await findInWorkspace(ctx.db, row.table, workspace.id, id), ctx);
    },
  });
}
