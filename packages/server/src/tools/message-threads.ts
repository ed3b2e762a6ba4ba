import type { Kysely, SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import { findInWorkspace } from '../core/find-in-workspace.js';
import type { AuthorType, Database } from '../store/schema.js';
import { defineListTool } from './list-tool.js';

/**
 * What conversations and tickets share: both are threads of messages between a contact and the
 * team, listed, searched and answered the same way.
 */

/** Who wrote a message. */
export const messageAuthorSchema = z.object({
  type: z.enum(['contact', 'user', 'agent', 'system']),
  id: z.string().nullable(),
  name: z.string().nullable(),
});

export function authorOf(row: { author_type: AuthorType; author_id: string | null; author_name: string | null }): z.input<typeof messageAuthorSchema> {
  return { type: row.author_type, id: row.author_id, name: row.author_name };
}

/** Delivery state of an outbound message; what null means differs between the threads. */
export function deliveryStatusSchema(description: string) {
  return z.enum(['queued', 'sent', 'delivered', 'failed']).nullable().describe(description);
}

export const messageOrderSchema = z.enum(['asc', 'desc']).default('desc').describe('desc (default): newest first; asc: oldest first.');

/** "First Last", or null when the contact has no name. */
export function contactName(firstName: string | null, lastName: string | null): string | null {
  return [firstName, lastName].filter(Boolean).join(' ') || null;
}

/** One thread's matching messages among a page's hits, as its search result lists them. */
export function matchesOf<Id>(
  hits: ReadonlyArray<{ parentId: string; messageId: Id; createdAt: string; snippet: string }>,
  parentId: string,
): Array<{ message_id: Id; created_at: string; snippet: string }> {
  return hits.filter((hit) => hit.parentId === parentId).map((hit) => ({ message_id: hit.messageId, created_at: hit.createdAt, snippet: hit.snippet }));
}

/** Looks up the rows read for a page of ranked ids (a ranked id always has its row: it was found in the same workspace). */
export function rowsById<Row extends { id: string }>(rows: readonly Row[]): (id: string) => Row {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return (id) => byId.get(id) as Row;
}

export interface ThreadMessagesToolDefinition<Argument extends string, Item extends z.ZodType, TB extends keyof Database, Row> {
  name: string;
  title: string;
  description: string;
  /** The threads' table, and the argument that names one thread. */
  thread: { table: 'conversations' | 'tickets'; argument: Argument; schema: z.ZodString };
  item: Item;
  /** One thread's messages. */
  messages(db: Kysely<Database>, threadId: string): SelectQueryBuilder<Database, TB, Row>;
  toItem(row: Row): z.input<Item>;
}

/**
 * Declares the tool that reads one thread's messages, newest first unless `order` is asc:
 * list_conversation_messages and list_ticket_messages. A thread of another workspace is not_found.
 */
export function defineThreadMessagesTool<Argument extends string, Item extends z.ZodType, TB extends keyof Database, Row extends { created_at: string }>(
  definition: ThreadMessagesToolDefinition<Argument, Item, TB, Row>,
) {
  const { thread, messages, ...list } = definition;
  const filters = { [thread.argument]: thread.schema, order: messageOrderSchema } as { [K in Argument]: z.ZodString } & { order: typeof messageOrderSchema };
  return defineListTool({
    ...list,
    filters,
    async rows(args, ctx, workspace) {
      // The arguments' generic type cannot be narrowed here; the thread argument is a string.
      const threadId = (args as Record<string, unknown>)[thread.argument] as string;
      await findInWorkspace(ctx.db, thread.table, workspace.id, threadId);
      return messages(ctx.db, threadId);
    },
    order: (args) => ({ column: 'created_at', direction: (args as { order: 'asc' | 'desc' }).order }),
  });
}
