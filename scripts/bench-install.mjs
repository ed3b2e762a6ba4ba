#!/usr/bin/env node
// `pnpm bench:install`: what installing the `conduit-mcp` CLI costs a user, side by side with
// mcp-remote (the bridge most MCP hosts are told to use), as `npx` pays it on first run: `npm install`
// of the packed CLI tarball and of mcp-remote@0.15.1, each into an empty directory with an EMPTY
// npm cache (everything downloaded from the registry), in turns, several runs, medians.
//
//   pnpm bench:install [--runs 5] [--json out.json]
//
// Figures: wall time of `npm install`; packages installed; bytes on disk (as `du` counts them) and
// the sum of file sizes; bytes downloaded into the npm cache. The target (issue 17): at most half
// of mcp-remote's bytes and time.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const runs = Number(option('--runs', '5'));
const jsonOut = option('--json', join(root, '.tmp', 'bench', 'install.json'));
const PEER = 'mcp-remote@0.15.1';

const work = mkdtempSync(join(tmpdir(), 'conduit-bench-install-'));
const packed = spawnSync('pnpm', ['pack', '--pack-destination', work], { cwd: join(root, 'packages', 'cli'), encoding: 'utf8' });
if (packed.status !== 0) {
  console.error(packed.stdout + packed.stderr);
  process.exit(1);
}
const tarball = packed.stdout.trim().split('\n').at(-1).trim();

/** Bytes on disk (512-byte blocks, as du counts them) and the sum of file sizes, and package count. */
function measure(dir) {
  let disk = 0;
  let size = 0;
  let packages = 0;
  const walk = (path) => {
    const stat = lstatSync(path);
    disk += stat.blocks * 512;
    if (!stat.isDirectory()) {
      size += stat.size;
      return;
    }
    for (const entry of readdirSync(path)) {
      if (entry === 'package.json' && /node_modules[\\/](@[^\\/]+[\\/])?[^\\/@][^\\/]*$/.test(path)) packages += 1;
      walk(join(path, entry));
    }
  };
  walk(dir);
  return { disk, size, packages };
}

function installOnce(label, spec) {
  const dir = join(work, `${label}-${Date.now()}`);
  const cache = join(dir, '.npm-cache');
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'bench', version: '1.0.0', private: true }));
  const env = { ...process.env, npm_config_update_notifier: 'false' };
  for (const key of Object.keys(env)) if (key.startsWith('npm_') && key !== 'npm_config_update_notifier') delete env[key];
  const started = process.hrtime.bigint();
  const result = spawnSync('npm', ['install', '--cache', cache, '--no-audit', '--no-fund', '--loglevel=error', spec], { cwd: app, env, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    console.error(`${label}: npm install failed:\n${result.stdout}${result.stderr}`);
    process.exit(1);
  }
  const installed = measure(join(app, 'node_modules'));
  const downloaded = measure(join(cache, '_cacache')).size;
  rmSync(dir, { recursive: true, force: true });
  return { seconds, ...installed, downloaded };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const subjects = [
  { label: 'conduit-mcp', spec: tarball, results: [] },
  { label: PEER, spec: PEER, results: [] },
];
console.log(`npm ${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()}, Node ${process.version}, ${runs} runs each, empty npm cache every run, in turns`);
for (let run = 0; run < runs; run += 1) {
  // Alternate who goes first, so a drift in the machine or the network hits both alike.
  for (const subject of run % 2 === 0 ? subjects : [...subjects].reverse()) {
    const result = installOnce(subject.label.replace(/[@/]/g, '_'), subject.spec);
    subject.results.push({ ...result, load: loadavg()[0] });
    console.log(`  run ${run + 1} ${subject.label.padEnd(18)} ${result.seconds.toFixed(2)} s  ${result.packages} packages  ${(result.disk / 1e6).toFixed(1)} MB on disk  (load ${loadavg()[0].toFixed(1)})`);
  }
}

const summary = subjects.map(({ label, results }) => ({
  label,
  seconds: median(results.map((r) => r.seconds)),
  packages: median(results.map((r) => r.packages)),
  disk: median(results.map((r) => r.disk)),
  size: median(results.map((r) => r.size)),
  downloaded: median(results.map((r) => r.downloaded)),
}));
const [ours, peer] = summary;
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const rows = [
  ['median of ' + runs, ours.label, peer.label, 'ratio'],
  ['npm install time', `${ours.seconds.toFixed(2)} s`, `${peer.seconds.toFixed(2)} s`, (ours.seconds / peer.seconds).toFixed(2)],
  ['packages', String(ours.packages), String(peer.packages), (ours.packages / peer.packages).toFixed(2)],
  ['on disk (du)', mb(ours.disk), mb(peer.disk), (ours.disk / peer.disk).toFixed(2)],
  ['file sizes', mb(ours.size), mb(peer.size), (ours.size / peer.size).toFixed(2)],
  ['downloaded', mb(ours.downloaded), mb(peer.downloaded), (ours.downloaded / peer.downloaded).toFixed(2)],
];
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
console.log('');
for (const row of rows) console.log(`| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`);
// Times on a busy machine stretch for both alike, but say how busy it was (1-minute load average).
const loads = subjects.flatMap(({ results }) => results.map((r) => r.load));
console.log(`\nload average during the runs: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
const met = ours.seconds <= peer.seconds / 2 && ours.disk <= peer.disk / 2;
console.log(`\ntarget (at most half of ${PEER}'s time and bytes on disk): ${met ? 'met' : 'NOT met'}`);

mkdirSync(resolve(jsonOut, '..'), { recursive: true });
writeFileSync(jsonOut, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, summary, results: subjects }, null, 2)}\n`);
console.log(`raw figures: ${jsonOut}`);
rmSync(work, { recursive: true, force: true });
