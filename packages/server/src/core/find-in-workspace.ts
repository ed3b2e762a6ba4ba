import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.js';
import { notFound } from './errors.js';

/** Tables whose rows have an `id` and belong to one workspace. */
type WorkspaceTable = { [T in keyof Database]: Database[T] extends { id: string; workspace_id: string } ? T : never }[keyof Database];

/** What a row of each table a tool looks up by id is called in a not_found message. */
const NOUNS = {
  agents: 'Agent',
  appointments: 'Appointment',
  calls: 'Call',
  contacts: 'Contact',
  conversations: 'Conversation',
  knowledge_nodes: 'Knowledge node',
  reservations: 'Reservation',
  skills: 'Skill',
  tickets: 'Ticket',
} as const satisfies Partial<Record<WorkspaceTable, string>>;

export type FindableTable = keyof typeof NOUNS;

/**
 * The row of `table` with this id in this workspace, or `not_found`. A row of another workspace
 * is not found either, so an id never tells a caller what other workspaces hold.
 */
export async function findInWorkspace<T extends FindableTable>(
  db: Kysely<Database>,
  table: T,
  workspaceId: string,
  id: string,
): Promise<Selectable<Database[T]>> {
  // Kysely cannot type a query over a table chosen at run time. Every table in NOUNS has `id` and
  // `workspace_id` (checked by its type), as skills has, and the row is typed by the table asked for.
  const row = (await db
    .selectFrom(table as 'skills')
    .selectAll()
    .where('id', '=', id)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()) as Selectable<Database[T]> | undefined;
  if (!row) throw notFound(NOUNS[table], id);
  return row;
}
