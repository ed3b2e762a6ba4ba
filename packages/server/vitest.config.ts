import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The read pool's worker as built from the sources (see test/global-setup.ts), not dist/'s.
    alias: [{ find: /^\.\/read-worker-url\.js$/, replacement: fileURLToPath(new URL('./test/read-worker-url.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of a file's time is spent importing the server and waiting on sockets and databases, so a
    // second fork uses the other core: on 2 cores vitest's default (cores - 1) runs one file at a
    // time, and the suite took 177 s against 120 s with two forks.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
