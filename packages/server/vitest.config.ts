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
  },
});
