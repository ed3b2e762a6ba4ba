import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export type TableName = keyof Database;

/**
 * Rows per INSERT statement: few enough to stay far below SQLite's 32,766 bound parameters for
 * the widest table (19 columns), many enough that a million messages take ~2,000 statements.
 */
export const BATCH_ROWS = 500;

/** Tables whose rows reference rows of these other tables (foreign keys): those flush first. */
const PARENTS: Partial<Record<TableName, TableName[]>> = {
  contact_attribute_values: ['contacts', 'custom_attributes'],
  conversations: ['contacts'],
  messages: ['conversations'],
  ticket_tags: ['tickets'],
  ticket_messages: ['tickets'],
  knowledge_chunks: ['knowledge_nodes'],
  memberships: ['users'],
};

/**
 * Buffers rows per table and writes them in multi-row INSERTs, so generators can emit one row at
 * a time while the database sees few statements and memory holds at most one batch per table.
 */
export class BatchInserter {
  readonly counts: Record<string, number> = {};
  private readonly buffers = new Map<TableName, unknown[]>();

  constructor(private readonly db: Kysely<Database>) {}

  async add<T extends TableName>(table: T, row: Insertable<Database[T]>): Promise<void> {
    let buffer = this.buffers.get(table);
    if (!buffer) this.buffers.set(table, (buffer = []));
    buffer.push(row);
    if (buffer.length >= BATCH_ROWS) await this.flush(table);
  }

  /** Writes the buffered rows of `table` (after those of the tables it references), or of every table. */
  async flush(table?: TableName): Promise<void> {
    if (!table) {
      for (const name of [...this.buffers.keys()]) await this.flush(name);
      return;
    }
    for (const parent of PARENTS[table] ?? []) await this.flush(parent);
    const rows = this.buffers.get(table);
    if (!rows || rows.length === 0) return;
    this.buffers.set(table, []);
    // The rows were typed when added; Kysely cannot relate a generic table name to its row type.
    await this.db.insertInto(table).values(rows as never).execute();
    this.counts[table] = (this.counts[table] ?? 0) + rows.length;
  }
}
