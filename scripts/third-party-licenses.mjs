#!/usr/bin/env node
// Lists the third-party packages a bundle contains, with their license texts, in
// <dist>/THIRD-PARTY-LICENSES.md, from the esbuild metafile tsup writes there (which is then removed:
// it is a build artifact, not something to publish). A package whose license is not one of the
// permissive licenses below fails the build, so nothing with other terms is bundled unnoticed.
//
//   node scripts/third-party-licenses.mjs packages/cli/dist
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const PERMISSIVE = new Set(['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD', 'BlueOak-1.0.0']);

const dist = resolve(process.argv[2] ?? 'dist');
const metafiles = readdirSync(dist).filter((name) => /^metafile-.*\.json$/.test(name));
if (metafiles.length === 0) {
  console.error(`third-party-licenses: no metafile-*.json in ${dist} (build with metafile: true)`);
  process.exit(1);
}

/** The directory of the package.json that owns a bundled file (nearest one with a name). */
function packageRoot(file) {
  let dir = dirname(file);
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

const roots = new Set();
for (const metafile of metafiles) {
  const { inputs } = JSON.parse(readFileSync(join(dist, metafile), 'utf8'));
  for (const input of Object.keys(inputs)) {
    if (!input.includes('node_modules/')) continue;
    // Inputs are relative to the directory the build ran in (this script runs there too).
    const root = packageRoot(resolve(input));
    if (root && root !== process.cwd()) roots.add(root);
  }
  rmSync(join(dist, metafile));
}

const packages = [...roots]
  .map((root) => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const license = typeof manifest.license === 'string' ? manifest.license : manifest.license?.type;
    const file = readdirSync(root).find((name) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(name));
    return { name: manifest.name, version: manifest.version, license, text: file ? readFileSync(join(root, file), 'utf8').trim() : undefined };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

const refused = packages.filter((pkg) => !pkg.license || !pkg.license.split(/ OR | AND |[()]/).some((id) => PERMISSIVE.has(id.trim())));
if (refused.length > 0) {
  console.error(`third-party-licenses: not a known permissive license: ${refused.map((pkg) => `${pkg.name}@${pkg.version} (${pkg.license ?? 'none'})`).join(', ')}`);
  process.exit(1);
}

const sections = packages.map((pkg) =>
  [`## ${pkg.name} ${pkg.version} (${pkg.license})`, '', pkg.text ? ['```', pkg.text, '```'].join('\n') : `${pkg.license}; the package ships no license file.`].join('\n'),
);
const document = [
  '# Third-party code in this package',
  '',
  `This package's files in dist/ bundle the following ${packages.length} packages, under their own licenses:`,
  '',
  ...packages.map((pkg) => `- ${pkg.name} ${pkg.version}: ${pkg.license}`),
  '',
  ...sections.flatMap((section) => [section, '']),
].join('\n');
writeFileSync(join(dist, 'THIRD-PARTY-LICENSES.md'), document);
console.log(`third-party-licenses: ${packages.length} bundled packages listed in ${join(dist, 'THIRD-PARTY-LICENSES.md')}`);
