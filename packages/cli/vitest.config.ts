import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run the built bin as real processes: build it once, fresh, before any test file.
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Multi-process tests spawn several CLIs each: one file at a time keeps a 2-core machine responsive.
    fileParallelism: false,
  },
});
