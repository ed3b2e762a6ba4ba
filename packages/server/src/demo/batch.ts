import type { ControlledTransaction, Insertable, Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export type TableName = keyof Database;

/**
 * Rows per INSERT statement: few enough to stay far below SQLite's 32,766 bound parameters for
 * the widest table (19 columns), many enough that a million messages take ~2,000 statements.
 */
export const BATCH_ROWS = 500;

/**
 * Rows per transaction. One transaction for a whole large seed kept every page it wrote in
 * SQLite's write-ahead log until the end (3.9 GB after 30 minutes at ten million messages, not
 * one row committed); committing every few seconds' worth lets the log be checkpointed as it
 * goes and keeps the cost of each row independent of how many came before.
 */
export const COMMIT_ROWS = 50_000;

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
 * Writes go into a transaction that is committed every COMMIT_ROWS rows (parents before
 * children, so every committed state satisfies the foreign keys) and by `finish`.
 */
export class BatchInserter {
  readonly counts: Record<string, number> = {};
  private readonly buffers = new Map<TableName, unknown[]>();
  private trx: ControlledTransaction<Database> | undefined;
  private uncommitted = 0;
  private committedRows = 0;

  constructor(
    private readonly store: Kysely<Database>,
    private readonly onFlush: () => void = () => undefined,
  ) {}

  /** The open transaction (started on first use), for the statements a generator runs itself. */
  async db(): Promise<Kysely<Database>> {
    this.trx ??= await this.store.startTransaction().execute();
    return this.trx;
  }

  async add<T extends TableName>(table: T, row: Insertable<Database[T]>): Promise<void> {
    let buffer = this.buffers.get(table);
    if (!buffer) this.buffers.set(table, (buffer = []));
    buffer.push(row);
    if (buffer.length >= BATCH_ROWS) await this.flush(table);
    if (this.uncommitted >= COMMIT_ROWS) await this.commit();
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
    await (await this.db()).insertInto(table).values(rows as never).execute();
    this.counts[table] = (this.counts[table] ?? 0) + rows.length;
    this.uncommitted += rows.length;
    this.onFlush();
  }

  /** Writes everything buffered and commits it. */
  async commit(): Promise<void> {
    await this.flush();
    const trx = this.trx;
    this.trx = undefined;
    await trx?.commit().execute();
    this.committedRows = this.rows;
    this.uncommitted = 0;
  }

  /** Undoes what is not committed yet (after a failure). */
  async abandon(): Promise<void> {
    const trx = this.trx;
    this.trx = undefined;
    this.buffers.clear();
    await trx?.rollback().execute();
  }

  /** Rows written so far, in every table. */
  get rows(): number {
    return Object.values(this.counts).reduce((sum, n) => sum + n, 0);
  }

  /** Rows of `rows` that are committed. */
  get committed(): number {
    return this.committedRows;
  }
}
