import { PostgresAdapter, type Compilable, type CompiledQuery, type DialectAdapter, type Kysely, type QueryResult } from 'kysely';
import { nameStatement } from './postgres/named-statements.js';
import type { Database } from './schema.js';

/**
 * `select *` or `"t".*`: a named statement's result columns are fixed when PostgreSQL prepares
 * it, so once a migration adds a column (one replica upgrading while the others run) a prepared
 * `*` fails with "cached plan must not change result type" until its connection closes.
 */
const SELECTS_STAR = /\bselect\s+\*|\.\*/i;

/** Stands in a query for a value supplied at execution time. */
class Slot {
  constructor(readonly name: string) {}
}

/** A query built and compiled once per dialect, then run with new values. */
export type PreparedQuery<Values, Row, DB = Database> = (db: Kysely<DB>, values: Values) => Promise<QueryResult<Row>>;

/**
 * Builds and compiles a fixed-shape query once per dialect and afterwards only substitutes its
 * values. Building and compiling a Kysely query costs about as much as running a small indexed
 * lookup, and the queries every request makes (token check, rate-limit take, …) never change
 * shape, so this is worth it there and nowhere else.
 *
 * `build` receives placeholders for its values; each must reach the SQL as a bound parameter
 * (a comparison, an inserted or updated value, a `sql` template value). Anything that would
 * inspect a value while building (`is null` shortcuts, IN lists, sql.lit) cannot be prepared,
 * and compiling checks that every placeholder came out as a parameter. On PostgreSQL the text
 * also becomes a named statement, parsed and planned once per connection (see
 * postgres/named-statements.ts: its selected columns must be listed, not `*`). The cache is keyed by the
 * dialect adapter, which a Kysely instance shares with its transactions, so queries inside a
 * write transaction use the same compiled form.
 */
export function prepared<Values extends Record<string, unknown>, Row, DB = Database>(
  build: (db: Kysely<DB>, values: Values) => Compilable<Row>,
): PreparedQuery<Values, Row, DB> {
  const compiled = new WeakMap<DialectAdapter, CompiledQuery<Row>>();

  function compile(db: Kysely<DB>): CompiledQuery<Row> {
    const slots = new Map<string, Slot>();
    const placeholders = new Proxy({} as Values, {
      get(_target, name) {
        if (typeof name !== 'string') return undefined;
        let slot = slots.get(name);
        if (!slot) slots.set(name, (slot = new Slot(name)));
        return slot;
      },
    });
    const query = build(db, placeholders).compile();
    for (const slot of slots.values()) {
      if (!query.parameters.includes(slot)) throw new Error(`prepared query: value "${slot.name}" is not a bound parameter of ${query.sql}`);
    }
    // On every dialect, so a query written against SQLite cannot fail only on PostgreSQL.
    if (SELECTS_STAR.test(query.sql)) throw new Error(`prepared query: list the selected columns instead of *: ${query.sql}`);
    if (db.getExecutor().adapter instanceof PostgresAdapter) nameStatement(query.sql);
    return query;
  }

  return async (db, values) => {
    const adapter = db.getExecutor().adapter;
    let query = compiled.get(adapter);
    if (!query) compiled.set(adapter, (query = compile(db)));
    const parameters = query.parameters.map((p) => (p instanceof Slot ? values[p.name] : p));
    return db.executeQuery<Row>({ ...query, parameters });
  };
}
