/**
 * The read pool's worker script: read-worker.js beside the built modules (tsup builds it into
 * dist/ with them). The tests run the TypeScript sources, so vitest.config.ts puts in its place
 * the worker built from those sources (test/read-worker-url.ts).
 */
export const READ_WORKER_URL = new URL('./read-worker.js', import.meta.url);
