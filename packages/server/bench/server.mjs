#!/usr/bin/env node
// Server benchmark: one run, side by side, same machine, same load generator (autocannon):
//   (a) bare node:http with a fixed JSON body — the ceiling
//   (b) the MCP SDK's minimal stateless server with one trivial tool — the peer
//   (c) conduit-mcp-server: get_contact and search_conversations with an API token,
//       at several data sizes (demo data at --scales), to show how search grows with volume,
//       on SQLite and, with --postgres URL, on PostgreSQL (a database per scale on that server).
//       search_conversations also runs with one connection: its p50 there is the time one search
//       takes, and the difference to the loaded row is queueing. Each search runs twice: the same
//       query every time (its ranking cached after the first) and a new filter every time (ranked
//       from scratch on every request). At the largest scale get_contact
//       runs once more with the rate limiter in Redis (--redis-url) when redis-server is installed,
//       and every row once more with V8's young generation capped (NODE_OPTIONS), for memory.
//   (d) mixed load at the largest scale: 24 clients calling get_contact alone, 8 clients each
//       asking a new search alone, then both together, with searches on the event loop
//       (--read-pool-size 0, as before the read pool) and in the read pool (its default size),
//       side by side, once more with the pool and the rate limiter in Redis (--redis-url), once
//       more with the pool and V8's young generation capped (NODE_OPTIONS), and once more with the
//       pool and V8's own heap growth (--heap-growth-percent 0), for memory; with the CPU time
//       the server spends per get_contact and per new search, and the cores its threads used
//       beside the searches.
//   (e) windowed searches: one client asking "double charge" in the last 7 days and in the last
//       24 hours, a new window each time, at each of --windowed-scales (default: the largest
//       scale; 3000 is ten million messages, a bench option only: seeding it takes long and
//       about 8 GB on SQLite).
// Usage: node bench/server.mjs [--duration 10] [--connections 32] [--scales 3,30,300] [--postgres URL]
//          [--windowed-scales 300,3000] [--sections peers,rows,mixed,windowed] [--dialects sqlite,postgres]
// --dialects picks the databases (default: SQLite, and PostgreSQL when --postgres gives one).
// Seeded data is cached (SQLite under $TMPDIR/conduit-bench, PostgreSQL as conduit_bench_<scale>
// databases): the demo data is deterministic, so reruns skip seeding.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    scales: { type: 'string', default: '3,30,300' },
    postgres: { type: 'string' },
    'windowed-scales': { type: 'string' },
    sections: { type: 'string', default: 'peers,rows,mixed,windowed' },
    dialects: { type: 'string' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const scales = values.scales.split(',').map(Number);
const windowedScales = (values['windowed-scales'] ?? String(scales.at(-1))).split(',').map(Number);
const sections = new Set(values.sections.split(','));

function start(args, env = {}) {
  const child = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const port = /listening (\d+)/.exec(out)?.[1] ?? /Conduit MCP server http:\/\/[^:]+:(\d+)/.exec(out)?.[1];
      if (port) resolve({ child, port: Number(port) });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
}

/** CPU seconds used so far, from a /proc stat file: utime + stime. */
function cpuSeconds(statFile) {
  const fields = readFileSync(statFile, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the process's main thread (the event loop) has used. */
const mainThreadCpu = (pid) => cpuSeconds(`/proc/${pid}/task/${pid}/stat`);
/** CPU seconds the process has used, all its threads. */
const processCpu = (pid) => cpuSeconds(`/proc/${pid}/stat`);

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/**
 * `body` is one request body, or a function giving each request its own (called per request).
 * With `pid`, also the CPU time that process spent per request of the measured run.
 */
async function load(name, port, body, headers = {}, clients = connections, pid = undefined) {
  const run = (seconds) =>
    autocannon({
      url: `http://127.0.0.1:${port}/v1/mcp`,
      method: 'POST',
      connections: clients,
      duration: seconds,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      ...(typeof body === 'function'
        ? { requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify(body()) }) }] }
        : { body: JSON.stringify(body) }),
    });
  await run(2); // warm-up: JIT, page cache, SQLite statement cache
  const cpuBefore = pid === undefined ? 0 : processCpu(pid);
  const result = await run(duration);
  const cpuMsPerRequest = pid === undefined ? undefined : ((processCpu(pid) - cpuBefore) * 1000) / Math.max(result.requests.total, 1);
  return {
    name,
    clients,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.non2xx ?? 0),
    cpuMsPerRequest,
  };
}

const call = (name, args) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

async function rpc(port, token, body) {
  const res = await fetch(`http://127.0.0.1:${port}/v1/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (json.error || json.result?.isError) throw new Error(`${JSON.stringify(body)} failed: ${JSON.stringify(json)}`);
  return json.result.structuredContent;
}

/** Seeds (once) and returns the server arguments selecting the data, its counts and a token. */
/** Bumped when the demo data changes shape: v2 writes messages in time order (message seq follows time). */
const DATA_VERSION = 'v2';

function seeded(dialect, scale) {
  const dir = join(tmpdir(), 'conduit-bench', `${dialect}-scale-${scale}-${DATA_VERSION}`);
  const marker = join(dir, 'seeded.json');
  let where;
  if (dialect === 'postgres') {
    const url = new URL(values.postgres);
    const name = `conduit_bench_${scale}_${DATA_VERSION}`;
    where = ['--database', Object.assign(new URL(url), { pathname: `/${name}` }).href];
    if (!existsSync(marker)) {
      execFileSync('psql', [url.href, '-qc', `DROP DATABASE IF EXISTS ${name}`, '-c', `CREATE DATABASE ${name}`], { stdio: 'inherit' });
    }
  } else {
    where = ['--data-dir', dir];
  }
  if (!existsSync(marker)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.stderr.write(`seeding demo data at scale ${scale} on ${dialect}…\n`);
    const out = execFileSync(process.execPath, [cli, 'seed', '--demo', '--scale', String(scale), ...where], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const counts = JSON.parse(/: (\{.*\})/.exec(out)[1]);
    const token = execFileSync(process.execPath, [cli, 'tokens', 'create', '--workspace', 'acme-hotels', '--access', 'read_only', '--name', 'bench', ...where], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    writeFileSync(marker, JSON.stringify({ counts, token }));
  }
  return { where, ...JSON.parse(readFileSync(marker, 'utf8')) };
}

const rows = [];
const memory = [];
const mixed = [];
const windowed = [];

if (sections.has('peers')) {
  const bare = await start([join(here, 'peers', 'bare-http.mjs')]);
  rows.push(await load('(a) bare node:http, fixed body', bare.port, call('echo', { text: 'hi' })));
  memory.push({ name: '(a) bare node:http', ...memoryOf(bare.child.pid) });
  bare.child.kill();

  const sdk = await start([join(here, 'peers', 'sdk-stateless.mjs')]);
  rows.push(await load('(b) MCP SDK stateless, trivial tool', sdk.port, call('echo', { text: 'hi' })));
  memory.push({ name: '(b) MCP SDK stateless', ...memoryOf(sdk.child.pid) });
  sdk.child.kill();
}

/** A private redis-server (nothing persisted) on a free port, or undefined when Redis is not installed. */
async function startRedis() {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return undefined;
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return { child, url: `redis://127.0.0.1:${port}` };
}
const wantsRedis = sections.has('rows') || sections.has('mixed');
const redisServer = wantsRedis ? await startRedis() : undefined;
if (wantsRedis && !redisServer) process.stderr.write('redis-server not installed: no Redis limiter rows\n');

const dialects = (values.dialects ?? (values.postgres ? 'sqlite,postgres' : 'sqlite')).split(',');
for (const dialect of dialects) {
  if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error(`--dialects: expected sqlite and/or postgres, got ${dialect}`);
  if (dialect === 'postgres' && !values.postgres) throw new Error('--dialects postgres needs --postgres URL (bench/run.sh passes one when PostgreSQL is installed)');
}
/** V8's young generation capped at 8 MB a semi-space (16 MB by default): the memory setting docs/self-hosting.md recommends. */
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=8';

/**
 * `serve` on the seeded data. The limiter still runs (one database write per request, as in
 * production), but with a limit a load test cannot reach: the default 120/min would make it a
 * test of 429s.
 */
function serve(data, extraArgs = [], env = {}) {
  return start([cli, 'serve', ...data.where, '--port', '0', '--rate-limit', '1000000000', ...extraArgs], env);
}

const searchArgs = { workspace_id: 'acme-hotels', query: '"double charge"', limit: 20 };
/** A search never asked before (a created_before a millisecond later each time, the same matches): ranked from scratch, as a new question is. */
function newSearches(extra = {}) {
  let fresh = Date.parse('2100-01-01T00:00:00Z');
  return () => call('search_conversations', { ...searchArgs, ...extra, created_before: new Date(fresh++).toISOString() });
}

/** The first contact and the time of the newest message, which the windows are counted back from. */
async function landmarks(port, token) {
  const contacts = await rpc(port, token, call('list_contacts', { workspace_id: 'acme-hotels', limit: 1 }));
  const latest = await rpc(port, token, call('list_conversations', { workspace_id: 'acme-hotels', limit: 1 }));
  return { contactId: contacts.data[0].id, newest: Date.parse(latest.data[0].last_message_at) };
}

/** get_contact and the four search rows against one `serve` on the seeded data; records its memory. */
async function measureServer(data, label, extraArgs = [], env = {}) {
  const ours = await serve(data, extraArgs, env);
  const auth = { authorization: `Bearer ${data.token}` };
  const { contactId } = await landmarks(ours.port, data.token);
  rows.push(await load(`(c) conduit get_contact, ${label}`, ours.port, call('get_contact', { workspace_id: 'acme-hotels', contact_id: contactId }), auth));
  // The same search again and again is served from the ranking cache after the first.
  const search = call('search_conversations', searchArgs);
  for (const clients of [connections, 1]) {
    rows.push(await load(`(c) conduit search_conversations, repeated (ranking cached), ${label}`, ours.port, search, auth, clients));
    rows.push(await load(`(c) conduit search_conversations, new each time (ranked), ${label}`, ours.port, newSearches(), auth, clients));
  }
  memory.push({ name: `(c) conduit, ${label}`, ...memoryOf(ours.child.pid) });
  ours.child.kill();
  return contactId;
}

const CONTACT_CLIENTS = 24;
const SEARCH_CLIENTS = 8;

/**
 * (d): 24 get_contact clients alone, then the same beside 8 clients each asking a new search,
 * against one `serve` whose searches run where `poolArgs` says.
 */
async function mixedLoad(data, label, pool, poolArgs, env = {}) {
  const ours = await serve(data, poolArgs, env);
  const auth = { authorization: `Bearer ${data.token}` };
  const { contactId } = await landmarks(ours.port, data.token);
  const contact = call('get_contact', { workspace_id: 'acme-hotels', contact_id: contactId });
  const alone = await load('get_contact alone', ours.port, contact, auth, CONTACT_CLIENTS, ours.child.pid);
  // The searches by themselves: what the pool's threads give when nothing else wants the cores.
  const searchesAlone = await load('new searches alone', ours.port, newSearches(), auth, SEARCH_CLIENTS, ours.child.pid);
  const cpuBefore = mainThreadCpu(ours.child.pid);
  const processBefore = processCpu(ours.child.pid);
  const started = performance.now();
  const [beside, searches] = await Promise.all([
    load('get_contact beside searches', ours.port, contact, auth, CONTACT_CLIENTS),
    load('new searches beside get_contact', ours.port, newSearches(), auth, SEARCH_CLIENTS),
  ]);
  // How busy the event loop's thread, and all the server's threads, were beside the searches, in
  // cores (warm-up included in both terms): whether the searches could have had more of the CPU.
  const seconds = (performance.now() - started) / 1000;
  const eventLoopBusy = (mainThreadCpu(ours.child.pid) - cpuBefore) / seconds;
  const processCores = (processCpu(ours.child.pid) - processBefore) / seconds;
  mixed.push({ label, pool, alone, searchesAlone, beside, searches, eventLoopBusy, processCores });
  memory.push({ name: `(d) conduit, ${label}, ${pool}`, ...memoryOf(ours.child.pid) });
  ours.child.kill();
}

/**
 * (e): one client, "double charge" in the 7 days and in the 24 hours before the newest message
 * (the product page's "last week" and "last 24 hours"), a new window each time; and all time,
 * for comparison.
 */
async function windowedSearch(data, label) {
  const ours = await serve(data);
  const auth = { authorization: `Bearer ${data.token}` };
  const { newest } = await landmarks(ours.port, data.token);
  let shift = 0;
  const last = (ms) => () =>
    call('search_conversations', { ...searchArgs, created_after: new Date(newest - ms).toISOString(), created_before: new Date(newest + 60_000 + shift++).toISOString() });
  const weekRow = await load(`windowed: last 7 days, new each time, ${label}`, ours.port, last(7 * 86_400_000), auth, 1);
  const dayRow = await load(`windowed: last 24 hours, new each time, ${label}`, ours.port, last(86_400_000), auth, 1);
  const allRow = await load(`all time, new each time, ${label}`, ours.port, newSearches(), auth, 1);
  windowed.push({ label, messages: data.counts.messages, week: weekRow, day: dayRow, all: allRow });
  memory.push({ name: `(e) conduit, ${label}`, ...memoryOf(ours.child.pid) });
  ours.child.kill();
}

for (const dialect of dialects) {
  const largest = scales.at(-1);
  if (sections.has('rows')) {
    for (const scale of scales) {
      const data = seeded(dialect, scale);
      const label = `${dialect}, ${data.counts.messages.toLocaleString('en-US')} messages`;
      const contactId = await measureServer(data, label);
      if (scale !== largest) continue;
      await measureServer(data, `${label}, NODE_OPTIONS=${SMALL_YOUNG_GENERATION}`, [], { NODE_OPTIONS: SMALL_YOUNG_GENERATION });
      if (redisServer) {
        const withRedis = await serve(data, ['--redis-url', redisServer.url]);
        const auth = { authorization: `Bearer ${data.token}` };
        rows.push(await load(`(c) conduit get_contact, ${label}, limiter in Redis`, withRedis.port, call('get_contact', { workspace_id: 'acme-hotels', contact_id: contactId }), auth));
        withRedis.child.kill();
      }
    }
  }
  if (sections.has('mixed')) {
    const data = seeded(dialect, largest);
    const label = `${dialect}, ${data.counts.messages.toLocaleString('en-US')} messages`;
    await mixedLoad(data, label, 'searches on the event loop (--read-pool-size 0)', ['--read-pool-size', '0']);
    await mixedLoad(data, label, `read pool (default size, ${availableParallelism()})`, []);
    // Every request takes a rate-limit token. On SQLite the buckets have a file of their own, so
    // that write leaves the pool's page caches alone; with Redis it leaves the server's process.
    if (redisServer) await mixedLoad(data, label, `read pool (default size, ${availableParallelism()}), limiter in Redis`, ['--redis-url', redisServer.url]);
    // The memory setting self-hosting.md recommends on top of serve's heap growth: the main
    // thread's young generation at half its default size.
    await mixedLoad(data, label, `read pool (default size, ${availableParallelism()}), NODE_OPTIONS=${SMALL_YOUNG_GENERATION}`, [], { NODE_OPTIONS: SMALL_YOUNG_GENERATION });
    // serve fixes V8's heap growth at 20 %; this is V8's own rule, which lets a busy heap grow to
    // several times what it keeps: the memory and the CPU that setting trades.
    await mixedLoad(data, label, `read pool (default size, ${availableParallelism()}), --heap-growth-percent 0 (V8's own rule)`, ['--heap-growth-percent', '0']);
  }
  if (sections.has('windowed')) {
    for (const scale of windowedScales) {
      const data = seeded(dialect, scale);
      await windowedSearch(data, `${dialect}, ${data.counts.messages.toLocaleString('en-US')} messages`);
    }
  }
}
redisServer?.child.kill();

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const [loadOne, loadFive] = loadavg();
console.log(`\nServer benchmark: autocannon, ${connections} connections unless the clients column says otherwise, ${duration} s per row after a 2 s warm-up, node ${process.version}, ${availableParallelism()} cores, ${new Date().toISOString()}, load average at the end ${fmt(loadOne, 1)} (1 min) ${fmt(loadFive, 1)} (5 min)\n`);
if (rows.length > 0) {
  const ceiling = rows.find((r) => r.name.startsWith('(a)'))?.rps;
  const peer = rows.find((r) => r.name.startsWith('(b)'))?.rps;
  const ratio = (r, base, percent) => (base === undefined ? '–' : percent ? `${fmt((r.rps / base) * 100)}%` : `${fmt(r.rps / base, 2)}×`);
  console.log('| workload | clients | req/s | p50 ms | p99 ms | vs (a) | vs (b) | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.clients} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${ratio(r, ceiling, true)} | ${ratio(r, peer, false)} | ${r.errors} |`);
  }
}
if (mixed.length > 0) {
  console.log(`\n(d) Mixed load: ${CONTACT_CLIENTS} clients calling get_contact, alone and beside ${SEARCH_CLIENTS} clients each asking a new search\n`);
  console.log('| data | searches run | get_contact alone p50 / p99 ms, req/s | beside the searches p50 / p99 ms, req/s | p99 beside ÷ alone | new searches beside req/s, p50 / p99 ms | server CPU beside, cores: all threads (main thread) | new searches alone req/s, p50 / p99 ms | server CPU ms per get_contact, per new search (alone) | errors |');
  console.log('| --- | --- | --- | --- | ---: | --- | ---: | --- | ---: | ---: |');
  for (const m of mixed) {
    const cell = (r) => `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}, ${fmt(r.rps)}`;
    const searchCell = (r) => `${fmt(r.rps, 1)}, ${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}`;
    const errors = m.alone.errors + m.searchesAlone.errors + m.beside.errors + m.searches.errors;
    console.log(`| ${m.label} | ${m.pool} | ${cell(m.alone)} | ${cell(m.beside)} | ${fmt(m.beside.p99 / Math.max(m.alone.p99, 1), 1)}× | ${searchCell(m.searches)} | ${fmt(m.processCores, 2)} (${fmt(m.eventLoopBusy, 2)}) | ${searchCell(m.searchesAlone)} | ${fmt(m.alone.cpuMsPerRequest, 2)}, ${fmt(m.searchesAlone.cpuMsPerRequest, 1)} | ${errors} |`);
  }
}
if (windowed.length > 0) {
  console.log('\n(e) One client, a new search each time: "double charge" in the last 7 days, in the last 24 hours, and in all time\n');
  console.log('| data | last 7 days p50 / p99 ms | vs the first row | last 24 hours p50 / p99 ms | all time p50 / p99 ms | errors |');
  console.log('| --- | --- | ---: | --- | --- | ---: |');
  const base = new Map();
  for (const w of windowed) {
    const dialect = w.label.split(',')[0];
    if (!base.has(dialect)) base.set(dialect, w.week.p50);
    const row = (r) => `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}`;
    const ratio = fmt(w.week.p50 / Math.max(base.get(dialect), 0.5), 2);
    console.log(`| ${w.label} | ${row(w.week)} | ${ratio}× | ${row(w.day)} | ${row(w.all)} | ${w.week.errors + w.day.errors + w.all.errors} |`);
  }
}
console.log('\n| process | RSS MB at end | peak RSS MB |');
console.log('| --- | ---: | ---: |');
for (const m of memory) console.log(`| ${m.name} | ${fmt(m.rssMb)} | ${fmt(m.peakMb)} |`);
