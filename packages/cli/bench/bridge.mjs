#!/usr/bin/env node
// Bridge benchmark, one run, side by side against the same conduit-mcp-server (`serve --demo`):
//   conduit-mcp (this package's dist/cli.js), with CONDUIT_API_TOKEN and with a stored credential
//   mcp-remote (latest from npm, installed outside the repo under os.tmpdir(), run with node directly,
//              given the same token with --header so it does no OAuth)
//   a direct HTTP client (undici, keep-alive) as the baseline for per-call latency.
// Measures: spawn → initialize answer (warm start), stdin EOF → exit, per-call latency (p50/p99,
// rounds interleaved so machine noise hits every client alike), peak RSS of each bridge, and the
// CPU a bridge waiting for a sign-in spends watching the credential store (file store, and the OS
// keychain in a private D-Bus session when gnome-keyring is installed), beside an idle signed-in one.
// Usage: node bench/bridge.mjs [--runs 20] [--calls 400] [--idle-seconds 60] [--no-write]
// Writes the "Bridge" section of docs/benchmarks.md (between the bridge-bench markers).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const bridgeCli = join(here, '..', 'dist', 'cli.js');
const serverCli = join(root, 'packages', 'server', 'dist', 'cli.js');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    calls: { type: 'string', default: '400' },
    'idle-seconds': { type: 'string', default: '60' },
    write: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const RUNS = Number(values.runs);
const IDLE_SECONDS = Number(values['idle-seconds']);
const CALLS = Number(values.calls);
const WARMUP = 50;
const log = (line) => process.stderr.write(`${line}\n`);

for (const file of [bridgeCli, serverCli]) {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` first (pnpm bench:bridge does).`);
}

// --- mcp-remote, latest, outside the repository -------------------------------------------------
const remoteDir = join(tmpdir(), 'conduit-bench', 'mcp-remote');
mkdirSync(remoteDir, { recursive: true });
log('installing mcp-remote@latest into ' + remoteDir);
execFileSync('npm', ['install', '--prefix', remoteDir, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', 'mcp-remote@latest'], { stdio: ['ignore', 'ignore', 'inherit'] });
const remotePackage = join(remoteDir, 'node_modules', 'mcp-remote');
const remoteVersion = JSON.parse(readFileSync(join(remotePackage, 'package.json'), 'utf8')).version;
const remoteBin = join(remotePackage, JSON.parse(readFileSync(join(remotePackage, 'package.json'), 'utf8')).bin['mcp-remote']);

// --- the server -------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'conduit-bridge-bench-'));
// The per-workspace rate limit is off: this measures the bridges, not the limiter.
const server = spawn(process.execPath, [serverCli, 'serve', '--demo', '--port', '0', '--rate-limit', '0', '--data-dir', join(work, 'data')], {
  env: { ...process.env, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// Whatever happens below, no server (or bridge) outlives the benchmark.
const children = new Set([server]);
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
const banner = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    if (/API token[^\n]*\n/.test(out)) resolve(out);
  });
  server.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
});
const url = /Conduit MCP server (\S+)/.exec(banner)[1];
const token = /(capi_\S+)/.exec(banner)[1];
log(`server ${url}`);

// A stored credential, as `conduit-mcp login --token-stdin` leaves it (file store: no keychain here).
const configDir = join(work, 'config');
const storedEnv = { PATH: process.env.PATH, HOME: work, CONDUIT_CONFIG_DIR: configDir, CONDUIT_CREDENTIAL_STORE: 'file' };
execFileSync(process.execPath, [bridgeCli, 'login', '--url', url, '--token-stdin'], { input: token, env: storedEnv, stdio: ['pipe', 'ignore', 'ignore'] });

const variants = {
  'conduit-mcp (CONDUIT_API_TOKEN)': { args: [bridgeCli, '--url', url], env: { PATH: process.env.PATH, HOME: work, CONDUIT_API_TOKEN: token } },
  'conduit-mcp (stored credential)': { args: [bridgeCli, '--url', url], env: storedEnv },
  [`mcp-remote ${remoteVersion}`]: {
    args: [remoteBin, url, '--header', `Authorization: Bearer ${token}`],
    env: { PATH: process.env.PATH, HOME: join(work, 'mcp-remote-home') },
  },
};
const REMOTE = `mcp-remote ${remoteVersion}`;

// --- a stdio MCP client speaking raw JSON-RPC lines (no SDK cost on the client side) -------------
function stdioClient({ args, env, command = process.execPath }) {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'ignore'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const waiting = new Map();
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const message = JSON.parse(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
      newline = buffer.indexOf('\n');
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let nextId = 0;
  return {
    child,
    exited,
    request(method, params) {
      const id = nextId++;
      const answer = new Promise((resolve) => waiting.set(id, resolve));
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      return answer;
    },
    notify(method) {
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
    },
  };
}

const INIT_PARAMS = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bridge-bench', version: '1.0.0' } };

async function startRun(variant) {
  const started = performance.now();
  const client = stdioClient(variant);
  const answer = await client.request('initialize', INIT_PARAMS);
  const startMs = performance.now() - started;
  const signedOut = answer.result?.capabilities?.tools?.listChanged === true && answer.result.instructions?.includes('conduit_sign_in');
  if (variant.expectSignIn ? !signedOut : !answer.result) {
    throw new Error(`initialize: ${JSON.stringify(answer)}`);
  }
  const closing = performance.now();
  client.child.stdin.end(); // the host goes away
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 5_000));
  const exit = await Promise.race([client.exited.then(() => 'exited'), timeout]);
  if (exit === 'timeout') client.child.kill('SIGKILL');
  return { startMs, exitMs: exit === 'exited' ? performance.now() - closing : Number.POSITIVE_INFINITY };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sorted = (list) => [...list].sort((a, b) => a - b);

// --- 1. warm start: spawn → initialize answer, and EOF → exit ------------------------------------
log(`start-up: ${RUNS} runs per client, interleaved`);
const starts = Object.fromEntries(Object.keys(variants).map((name) => [name, { start: [], exit: [] }]));
for (let run = 0; run < RUNS + 1; run++) {
  for (const [name, variant] of Object.entries(variants)) {
    const result = await startRun(variant);
    if (run === 0) continue; // first run warms the page cache
    starts[name].start.push(result.startMs);
    starts[name].exit.push(result.exitMs);
  }
}

// A host starting the bridge for a user who never signed in: initialize must be answered at once
// (sign-in instructions, conduit_sign_in to come), never after a wait for a browser.
const noCredential = { args: [bridgeCli, '--url', url], env: { ...storedEnv, CONDUIT_CONFIG_DIR: join(work, 'empty-config') }, expectSignIn: true };
const signedOutStarts = [];
for (let run = 0; run < Math.min(RUNS, 10); run++) signedOutStarts.push((await startRun(noCredential)).startMs);

// --- 2. per-call latency -----------------------------------------------------------------------
const agent = new Agent({ keepAliveTimeout: 30_000 });
const endpoint = new URL(url);
async function directCall(body) {
  const res = await agent.request({
    origin: endpoint.origin,
    path: endpoint.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify(body),
  });
  return JSON.parse(await res.body.text());
}
const contacts = await directCall({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_contacts', arguments: { workspace_id: 'acme-hotels', limit: 1 } } });
const contactId = contacts.result.structuredContent.data[0].id;
const CALL = { name: 'get_contact', arguments: { workspace_id: 'acme-hotels', contact_id: contactId } };

const clients = {};
for (const name of Object.keys(variants)) {
  const client = stdioClient(variants[name]);
  const init = await client.request('initialize', INIT_PARAMS);
  if (!init.result) throw new Error(`${name}: initialize failed`);
  client.notify('notifications/initialized');
  clients[name] = client;
}
const timings = { direct: [], ...Object.fromEntries(Object.keys(clients).map((name) => [name, []])) };
log(`latency: ${WARMUP} warm-up + ${CALLS} calls of get_contact per client, interleaved`);
for (let i = 0; i < WARMUP + CALLS; i++) {
  let started = performance.now();
  const direct = await directCall({ jsonrpc: '2.0', id: i, method: 'tools/call', params: CALL });
  if (i >= WARMUP) timings.direct.push(performance.now() - started);
  if (direct.result?.isError) throw new Error(JSON.stringify(direct));
  for (const [name, client] of Object.entries(clients)) {
    started = performance.now();
    const answer = await client.request('tools/call', CALL);
    if (i >= WARMUP) timings[name].push(performance.now() - started);
    if (!answer.result || answer.result.isError) throw new Error(`${name}: ${JSON.stringify(answer)}`);
  }
}
const memory = {};
for (const [name, client] of Object.entries(clients)) {
  const status = readFileSync(`/proc/${client.child.pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  memory[name] = { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  client.child.stdin.end();
  await Promise.race([client.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  client.child.kill('SIGKILL');
}
await agent.close();

// --- 3. idle cost: a bridge waiting for a sign-in watches the credential store --------------------
// CPU time (schedstat, ns) of every process of each run over the same window, side by side: the
// bridge, and for the keychain run the private D-Bus daemon and gnome-keyring it talks to (found by
// the run's own HOME in their environment). No BROWSER and no display, so no sign-in starts.
const hasCommand = (name) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
function pidsWithHome(home) {
  const needle = `HOME=${home}\0`;
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle)) pids.push(entry);
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}
const cpuNs = (pids) => pids.reduce((sum, pid) => {
  try {
    return sum + Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return sum;
  }
}, 0);
const idleRuns = {
  'signed in (CONDUIT_API_TOKEN), idle': { args: [bridgeCli, '--url', url], env: { PATH: process.env.PATH, CONDUIT_API_TOKEN: token } },
  'waiting for a sign-in, file store': { args: [bridgeCli, '--url', url], env: { PATH: process.env.PATH, CONDUIT_CREDENTIAL_STORE: 'file' } },
};
const keyring = hasCommand('dbus-run-session') && hasCommand('gnome-keyring-daemon');
if (keyring) {
  idleRuns['waiting for a sign-in, OS keychain (gnome-keyring over D-Bus)'] = {
    command: 'dbus-run-session',
    args: ['--', 'sh', '-c', `echo bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec ${process.execPath} ${bridgeCli} --url ${url}`],
    env: { PATH: process.env.PATH, CONDUIT_CREDENTIAL_STORE: 'keychain' },
  };
}
log(`idle cost: ${IDLE_SECONDS} s per run, side by side${keyring ? '' : ' (no gnome-keyring here: file store only)'}`);
const idle = await Promise.all(
  Object.entries(idleRuns).map(async ([name, run]) => {
    const home = mkdtempSync(join(work, 'idle-home-'));
    const env = { ...run.env, HOME: home, CONDUIT_CONFIG_DIR: join(home, 'config') };
    const client = stdioClient({ args: run.args, env, command: run.command });
    const init = await client.request('initialize', INIT_PARAMS);
    if (!init.result) throw new Error(`${name}: initialize failed: ${JSON.stringify(init)}`);
    client.notify('notifications/initialized');
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // past start-up and the sign-in delay
    const pids = pidsWithHome(home);
    const before = cpuNs(pids);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const used = cpuNs(pids) - before;
    client.child.stdin.end();
    await Promise.race([client.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    client.child.kill('SIGKILL');
    // The keyring daemon outlives its D-Bus session for a moment; it is this run's, so end it.
    for (const pid of pidsWithHome(home)) {
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // already gone
      }
    }
    return [name, { msPerMinute: used / 1e6 / (IDLE_SECONDS / 60), processes: pids.length }];
  }),
).then(Object.fromEntries);
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));

// --- report ------------------------------------------------------------------------------------
const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '> 5000');
const remoteStart = percentile(sorted(starts[REMOTE].start), 50);
const directP50 = percentile(sorted(timings.direct), 50);
const directP99 = percentile(sorted(timings.direct), 99);
const ours = Object.keys(variants)[0];
const lines = [];
lines.push(`Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · node ${process.version} · ${cpus().length} cores (${cpus()[0]?.model.trim()}) · load average ${loadavg()[0].toFixed(1)} at the end`);
lines.push(`· server \`conduit-mcp-server serve --demo\` on 127.0.0.1 · mcp-remote ${remoteVersion} · ${RUNS} start-ups and ${CALLS} calls per client.`);
lines.push('');
lines.push('**Warm start** (spawn → answer to the host\'s `initialize`; credential already cached) and **shutdown** (stdin EOF → process gone):');
lines.push('');
lines.push('| client | start p50 ms | start min–max ms | vs mcp-remote | exit after EOF p50 ms |');
lines.push('| --- | ---: | ---: | ---: | ---: |');
for (const [name, data] of Object.entries(starts)) {
  const start = sorted(data.start);
  const exit = sorted(data.exit);
  lines.push(`| ${name} | ${fmt(percentile(start, 50))} | ${fmt(start[0])}–${fmt(start.at(-1))} | ${(percentile(start, 50) / remoteStart).toFixed(2)}× | ${fmt(percentile(exit, 50))} |`);
}
lines.push(`| conduit-mcp, never signed in: \`initialize\` answered with the sign-in instructions | ${fmt(percentile(sorted(signedOutStarts), 50))} | ${fmt(sorted(signedOutStarts)[0])}–${fmt(sorted(signedOutStarts).at(-1))} | – | – |`);
lines.push('');
lines.push('**Per call** (`tools/call get_contact`, sequential, keep-alive; latency seen by the client; added = minus the direct client\'s, same percentile) and **memory** after the calls:');
lines.push('');
lines.push('| client | p50 ms | p99 ms | added p50 ms | added p99 ms | RSS MB | peak RSS MB |');
lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
lines.push(`| direct HTTP (undici) | ${fmt(directP50, 2)} | ${fmt(directP99, 2)} | – | – | – | – |`);
for (const name of Object.keys(clients)) {
  const list = sorted(timings[name]);
  const label = name;
  lines.push(`| ${label} | ${fmt(percentile(list, 50), 2)} | ${fmt(percentile(list, 99), 2)} | ${fmt(percentile(list, 50) - directP50, 2)} | ${fmt(percentile(list, 99) - directP99, 2)} | ${fmt(memory[name].rss, 0)} | ${fmt(memory[name].peak, 0)} |`);
}
lines.push('');
lines.push(`**Idle** (CPU time over ${IDLE_SECONDS} s of an initialized bridge nobody talks to, all its processes, side by side; a bridge waiting for a sign-in reads the store every 2 s):`);
lines.push('');
lines.push('| bridge | CPU ms per minute | share of one core | processes measured |');
lines.push('| --- | ---: | ---: | ---: |');
for (const [name, { msPerMinute, processes }] of Object.entries(idle)) {
  lines.push(`| ${name} | ${fmt(msPerMinute, 1)} | ${(msPerMinute / 600).toFixed(3)} % | ${processes} |`);
}
const ourStart = percentile(sorted(starts[ours].start), 50);
const storedStart = percentile(sorted(starts['conduit-mcp (stored credential)'].start), 50);

const added = percentile(sorted(timings[ours]), 50) - directP50;
const stored = 'conduit-mcp (stored credential)';
const peak = Math.max(memory[ours].peak, memory[stored].peak);
const verdict = (ok) => (ok ? 'met' : '**missed**');
lines.push('');
lines.push('Targets: start ≤ 0.4× mcp-remote\'s median — ' +
  `${verdict(ourStart <= 0.4 * remoteStart)} with CONDUIT_API_TOKEN (${(ourStart / remoteStart).toFixed(2)}×), ` +
  `${verdict(storedStart <= 0.4 * remoteStart)} with a stored credential (${(storedStart / remoteStart).toFixed(2)}×); ` +
  `added latency p50 ≤ 1 ms — ${verdict(added <= 1)} (${added.toFixed(2)} ms); ` +
  `RSS ≤ 80 MB — ${verdict(peak <= 80)} (peak ${memory[ours].peak.toFixed(0)} MB with CONDUIT_API_TOKEN, ${memory[stored].peak.toFixed(0)} MB with a stored credential).`);
const section = lines.join('\n');
process.stdout.write(`\n${section}\n`);

if (values.write) {
  const docs = join(root, 'docs', 'benchmarks.md');
  const START = '<!-- bridge-bench:start -->';
  const END = '<!-- bridge-bench:end -->';
  const current = existsSync(docs) ? readFileSync(docs, 'utf8') : '# Benchmarks\n';
  const block = `${START}\n${section}\n${END}`;
  const next = current.includes(START)
    ? current.replace(new RegExp(`${START}[\\s\\S]*?${END}`), block)
    : `${current.trimEnd()}\n\n## Bridge\n\nProduced by \`pnpm bench:bridge\` (packages/cli/bench/bridge.mjs).\n\n${block}\n`;
  writeFileSync(docs, next);
  log(`wrote ${docs}`);
}
