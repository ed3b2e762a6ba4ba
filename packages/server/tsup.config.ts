import { defineConfig } from 'tsup';

export default defineConfig({
  // The read pool's worker is loaded by URL (store/sqlite/read-pool.ts), so it is an entry of its own.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'read-worker': 'src/store/sqlite/read-worker.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  splitting: true,
});
