import type { SelectQueryBuilder } from 'kysely';
import type { z } from 'zod';
import type { Workspace } from '../core/workspace-access.js';
import { defineWorkspaceTool, type ToolContext, type ToolDefinition, type WorkspaceInput } from './define.js';
import { keysetPage, pageSchema, paginationShape, type KeysetOrder, type PageArgs } from './pagination.js';

type ListShape<Filters extends z.ZodRawShape> = Filters & typeof paginationShape;
type ListArgs<Filters extends z.ZodRawShape> = z.output<WorkspaceInput<ListShape<Filters>>>;

export interface ListToolDefinition<Filters extends z.ZodRawShape, Item extends z.ZodType, DB, TB extends keyof DB, Row> {
  name: string;
  title: string;
  description: string;
  /** The arguments that narrow the list, between `workspace_id` and `limit`, `cursor`. */
  filters: Filters;
  item: Item;
  /** The rows the list pages through: the workspace's, narrowed by the filters. */
  rows(args: ListArgs<Filters>, ctx: ToolContext, workspace: Workspace): SelectQueryBuilder<DB, TB, Row> | Promise<SelectQueryBuilder<DB, TB, Row>>;
  order: KeysetOrder<Row> | ((args: ListArgs<Filters>) => KeysetOrder<Row>);
  toItem(row: Row): z.input<Item>;
}

/**
 * Declares a list tool, the recipe in one place: `workspace_id`, the filters, `limit` and `cursor`
 * in; a page of items, `next_cursor` and `has_more` out; a keyset page of `rows` in `order`.
 */
export function defineListTool<Filters extends z.ZodRawShape, Item extends z.ZodType, DB, TB extends keyof DB, Row>(
  definition: ListToolDefinition<Filters, Item, DB, TB, Row>,
): ToolDefinition<WorkspaceInput<ListShape<Filters>>, ReturnType<typeof pageSchema<Item>>> {
  const { name, title, description, filters, item, rows, order, toItem } = definition;
  return defineWorkspaceTool({
    name,
    title,
    description,
    kind: 'read',
    input: { ...filters, ...paginationShape } as ListShape<Filters>,
    output: pageSchema(item),
    handler: async (args, ctx, workspace) =>
      keysetPage(ctx, workspace.id, args as PageArgs, await rows(args, ctx, workspace), typeof order === 'function' ? order(args) : order, toItem),
  });
}
