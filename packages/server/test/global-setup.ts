import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';
import type { TestProject } from 'vitest/node';

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
  const outDir = fileURLToPath(new URL('../node_modules/.cache/conduit-test-read-worker', import.meta.url));
  await build({
    entry: { 'read-worker': fileURLToPath(new URL('../src/store/sqlite/read-worker.ts', import.meta.url)) },
    outDir,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    silent: true,
    clean: true,
    config: false,
    external: ['better-sqlite3', 'kysely'],
  });
  project.provide('readWorkerUrl', pathToFileURL(`${outDir}/read-worker.js`).href);
}
