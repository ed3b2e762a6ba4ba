import type { TestProject } from 'vitest/node';
import { buildSource } from './build-source.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The SQLite read pool's worker, built from the sources under test (see store/sqlite/read-pool.ts). */
    readWorkerUrl: string;
  }
}

/**
 * Tests import the TypeScript sources, but a worker thread runs plain JavaScript from a file:
 * build the read pool's worker from the same sources once per run, as `pnpm build` does for the
 * package, so every test store can search through a real pool.
 */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('readWorkerUrl', await buildSource('store/sqlite/read-worker.ts', ['better-sqlite3', 'kysely']));
}
