import { inject } from 'vitest';

/** Stands in for src/store/sqlite/read-worker-url.ts in tests: the worker global-setup.ts built from the sources. */
export const READ_WORKER_URL = new URL(inject('readWorkerUrl'));
