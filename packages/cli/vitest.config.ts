import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run the built bin as real processes: build it once, fresh, before any test file.
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time: most of a file's time is its CLIs and servers starting and waiting on
    // each other, so a second fork fills the idle core (145 s -> 78 s on 2 cores, where vitest's
    // default is one fork). The waits these tests allow are tens of seconds, for a busy machine.
    // Files share the run's test keyring: its entries are keyed by server URL, every file starts
    // its own server, and no test asserts on entries other than its own.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
