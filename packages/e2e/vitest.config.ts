import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Real servers and browsers per file: one file at a time keeps a 2-core machine responsive.
    fileParallelism: false,
  },
});
