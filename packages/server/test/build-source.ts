import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';

/**
 * Builds one file of src/ into plain JavaScript, as `pnpm build` compiles the package, for a
 * worker thread or a child process (tests import the TypeScript sources, which neither can run).
 * `source` is its path under src/; `external` names the packages it imports as they are. Returns
 * the built file's URL.
 */
export async function buildSource(source: string, external: string[] = []): Promise<string> {
  const name = basename(source, '.ts');
  const outDir = fileURLToPath(new URL(`../node_modules/.cache/conduit-test-${name}`, import.meta.url));
  await build({
    entry: { [name]: fileURLToPath(new URL(`../src/${source}`, import.meta.url)) },
    outDir,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    silent: true,
    clean: true,
    config: false,
    external,
  });
  return pathToFileURL(`${outDir}/${name}.js`).href;
}
