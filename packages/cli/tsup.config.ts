import { execFileSync } from 'node:child_process';
import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.js is the `conduit-mcp` bin; index.js is the auth API the bridge and the e2e tests import.
  entry: ['src/cli.ts', 'src/index.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  splitting: true,
  // Every dependency is bundled, so `npx conduit-mcp` installs one package instead of ~100
  // (docs/benchmarks.md, `pnpm bench:install`); what a host does not use (the full program, the
  // sign-in flow) stays in chunks loaded on demand. What is bundled is kept small on purpose: no
  // MCP SDK (mcp-client.ts speaks the protocol for the commands' one tool call), zod's mini build,
  // proxies through node:http (proxy.ts) instead of undici. @napi-rs/keyring is an
  // optionalDependency whose native binary comes from a per-platform package, loaded lazily: it
  // must stay a runtime import.
  noExternal: [/^(?!@napi-rs\/keyring$)/],
  external: ['@napi-rs/keyring'],
  minify: true,
  // Bundled packages' licenses, listed in dist/THIRD-PARTY-LICENSES.md by the script below.
  metafile: true,
  async onSuccess() {
    execFileSync(process.execPath, ['../../scripts/third-party-licenses.mjs', 'dist'], { stdio: 'inherit' });
  },
  // Bundled CommonJS (commander) calls require() for Node's built-ins, which an ES module does not
  // have: each chunk gets one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __conduitCreateRequire } from 'node:module';\nconst require = __conduitCreateRequire(import.meta.url);" },
});
