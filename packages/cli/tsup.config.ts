import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.js is the `conduit-mcp` bin; index.js is the auth API the bridge and the e2e tests import.
  entry: ['src/cli.ts', 'src/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  splitting: true,
  // keytar is an optionalDependency loaded lazily; it must stay a runtime import.
  external: ['keytar'],
  banner: { js: '#!/usr/bin/env node' },
});
