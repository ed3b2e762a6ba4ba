import { availableParallelism } from 'node:os';

/**
 * How many heavy reads (searches) run at once, and how many of those one workspace may hold. On
 * SQLite they run in that many worker threads, each with its own connection (sqlite/read-pool.ts);
 * on PostgreSQL at most that many hold a pooled connection at once (scheduled-search.ts), so
 * searches can never take every connection the cheap requests need. 0 runs searches unscheduled
 * on the server's own connection(s).
 */
export interface ReadPoolOptions {
  size: number;
  /** Default: `size` (a workspace alone may use the whole pool; see read-scheduler.ts). */
  perWorkspace?: number | undefined;
}

/**
 * One per core: a ranking is CPU work, and more at once than cores only queue inside the OS. On
 * PostgreSQL (given its connection pool size) also two connections fewer than the pool, so the
 * cheap requests always find one.
 */
export function defaultReadPoolSize(postgresPoolMax?: number): number {
  const cores = availableParallelism();
  if (postgresPoolMax === undefined) return cores;
  // A pool of one connection has none to spare: searches then take turns with everything else.
  return postgresPoolMax <= 1 ? 0 : Math.max(1, Math.min(cores, postgresPoolMax - 2));
}

/**
 * The read pool a server runs with, from its settings: `size` (undefined: one per core, see
 * defaultReadPoolSize) and `perWorkspace`; `postgresPoolMax` on PostgreSQL. Throws when they
 * contradict each other (validReadPool, and on PostgreSQL a size the connection pool cannot hold).
 */
export function readPoolFor(size: number | undefined, perWorkspace: number | undefined, postgresPoolMax?: number): ReadPoolOptions {
  const options = validReadPool({ size: size ?? defaultReadPoolSize(postgresPoolMax), perWorkspace });
  if (postgresPoolMax !== undefined && options.size >= postgresPoolMax) {
    throw new Error(`read pool size ${options.size} must be below the PostgreSQL pool size ${postgresPoolMax} (PGPOOL_MAX): searches would hold every connection the other requests need`);
  }
  return options;
}

/** Checks the options: whole numbers, a per-workspace bound between 1 and the size. */
export function validReadPool(options: ReadPoolOptions): ReadPoolOptions {
  const { size, perWorkspace } = options;
  if (!Number.isInteger(size) || size < 0) throw new Error(`read pool size must be a whole number ≥ 0, got ${String(size)}`);
  if (perWorkspace !== undefined) {
    if (size === 0) throw new Error('a per-workspace read pool bound needs a read pool (size ≥ 1)');
    if (!Number.isInteger(perWorkspace) || perWorkspace < 1 || perWorkspace > size) {
      throw new Error(`read pool per-workspace bound must be a whole number from 1 to the pool size (${size}), got ${String(perWorkspace)}`);
    }
  }
  return options;
}
