import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';

/**
 * The optional filters of a list tool. An undefined value filters nothing, so a handler passes
 * its arguments as they are.
 */
export interface ListFilters<Row> {
  /** Columns that must equal a value. */
  equal?: { [K in keyof Row & string]?: Row[K] | undefined };
  /** A column at or after `after` and before `before` (ISO 8601 timestamps or dates compare as text). */
  between?: { column: keyof Row & string; after?: string | undefined; before?: string | undefined };
  /** The alias qualifying the columns when the query joins. */
  table?: string;
}

/** The query narrowed to the rows that pass `filters`. */
export function narrow<DB, TB extends keyof DB, Row>(query: SelectQueryBuilder<DB, TB, Row>, filters: ListFilters<Row>): SelectQueryBuilder<DB, TB, Row> {
  const ref = (column: string) => sql.ref(filters.table ? `${filters.table}.${column}` : column);
  for (const [column, value] of Object.entries(filters.equal ?? {})) {
    if (value !== undefined) query = query.where(sql<SqlBool>`${ref(column)} = ${value}`);
  }
  const { column, after, before } = filters.between ?? {};
  if (column !== undefined && after !== undefined) query = query.where(sql<SqlBool>`${ref(column)} >= ${after}`);
  if (column !== undefined && before !== undefined) query = query.where(sql<SqlBool>`${ref(column)} < ${before}`);
  return query;
}
