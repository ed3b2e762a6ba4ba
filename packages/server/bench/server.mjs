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
// Usage: node bench/server.mjs [--duration 10] [--connections 32] [--scales 3,30,300] [--postgres URL]
// Seeded data is cached (SQLite under $TMPDIR/conduit-bench, PostgreSQL as conduit_bench_<scale>
// databases): the demo data is deterministic, so reruns skip seeding.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    scales: { type: 'string', default: '3,30,300' },
    postgres: { type: 'string' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const scales = values.scales.split(',').map(Number);

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

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** `body` is one request body, or a function giving each request its own (called per request). */
async function load(name, port, body, headers = {}, clients = connections) {
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
  const result = await run(duration);
  return {
    name,
    clients,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.non2xx ?? 0),
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
function seeded(dialect, scale) {
  const dir = join(tmpdir(), 'conduit-bench', `${dialect}-scale-${scale}`);
  const marker = join(dir, 'seeded.json');
  let where;
  if (dialect === 'postgres') {
    const url = new URL(values.postgres);
    const name = `conduit_bench_${scale}`;
    where = ['--database', Object.assign(new URL(url), { pathname: `/${name}` }).href];
    if (!existsSync(marker)) {
      execFileSync('psql', [url.href, '-qc', `DROP DATABASE IF EXISTS ${name}`, '-c', `CREATE DATABASE ${name}`], { stdio: 'inherit' });
    }
  } else {
    where = ['--data-dir', dir];
  }
  if (!existsSync(marker)) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`seeding demo data at scale ${scale} on ${dialect}…\n`);
    const out = execFileSync(process.execPath, [cli, 'seed', '--demo', '--scale', String(scale), ...where], { encoding: 'utf8' });
    const counts = JSON.parse(/: (\{.*\})/.exec(out)[1]);
    const token = execFileSync(process.execPath, [cli, 'tokens', 'create', '--workspace', 'acme-hotels', '--access', 'read_only', '--name', 'bench', ...where], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    writeFileSync(marker, JSON.stringify({ counts, token }));
  }
  return { where, ...JSON.parse(readFileSync(marker, 'utf8')) };
}

const rows = [];
const memory = [];

const bare = await start([join(here, 'peers', 'bare-http.mjs')]);
rows.push(await load('(a) bare node:http, fixed body', bare.port, call('echo', { text: 'hi' })));
memory.push({ name: '(a) bare node:http', ...memoryOf(bare.child.pid) });
bare.child.kill();

const sdk = await start([join(here, 'peers', 'sdk-stateless.mjs')]);
rows.push(await load('(b) MCP SDK stateless, trivial tool', sdk.port, call('echo', { text: 'hi' })));
memory.push({ name: '(b) MCP SDK stateless', ...memoryOf(sdk.child.pid) });
sdk.child.kill();

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
const redisServer = await startRedis();
if (!redisServer) process.stderr.write('redis-server not installed: no Redis limiter row\n');

const dialects = values.postgres ? ['sqlite', 'postgres'] : ['sqlite'];
/** V8's young generation capped at 8 MB a semi-space (16 MB by default): the memory setting docs/self-hosting.md recommends. */
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=8';

/** get_contact and the four search rows against one `serve` on the seeded data; records its memory. */
async function measureServer(data, label, extraArgs = [], env = {}) {
  // The limiter still runs (one database write per request, as in production), but with a
  // limit a load test cannot reach: the default 120/min would make it a test of 429s.
  const ours = await start([cli, 'serve', ...data.where, '--port', '0', '--rate-limit', '1000000000', ...extraArgs], env);
  const auth = { authorization: `Bearer ${data.token}` };
  const contacts = await rpc(ours.port, data.token, call('list_contacts', { workspace_id: 'acme-hotels', limit: 1 }));
  rows.push(await load(`(c) conduit get_contact, ${label}`, ours.port, call('get_contact', { workspace_id: 'acme-hotels', contact_id: contacts.data[0].id }), auth));
  // The same search again and again is served from the ranking cache after the first; a search
  // with a filter no earlier one had (a created_before a millisecond later each time, the same
  // matches) is ranked from scratch, as a new question is.
  const searchArgs = { workspace_id: 'acme-hotels', query: '"double charge"', limit: 20 };
  const search = call('search_conversations', searchArgs);
  let fresh = Date.parse('2100-01-01T00:00:00Z');
  const newSearch = () => call('search_conversations', { ...searchArgs, created_before: new Date(fresh++).toISOString() });
  for (const clients of [connections, 1]) {
    rows.push(await load(`(c) conduit search_conversations, repeated (ranking cached), ${label}`, ours.port, search, auth, clients));
    rows.push(await load(`(c) conduit search_conversations, new each time (ranked), ${label}`, ours.port, newSearch, auth, clients));
  }
  memory.push({ name: `(c) conduit, ${label}`, ...memoryOf(ours.child.pid) });
  ours.child.kill();
  return contacts.data[0].id;
}

for (const [dialect, scale] of dialects.flatMap((d) => scales.map((s) => [d, s]))) {
  const data = seeded(dialect, scale);
  const label = `${dialect}, ${data.counts.messages.toLocaleString('en-US')} messages`;
  const contactId = await measureServer(data, label);
  if (scale !== scales.at(-1)) continue;
  await measureServer(data, `${label}, NODE_OPTIONS=${SMALL_YOUNG_GENERATION}`, [], { NODE_OPTIONS: SMALL_YOUNG_GENERATION });
  if (redisServer) {
    const withRedis = await start([cli, 'serve', ...data.where, '--port', '0', '--rate-limit', '1000000000', '--redis-url', redisServer.url]);
    const auth = { authorization: `Bearer ${data.token}` };
    rows.push(await load(`(c) conduit get_contact, ${label}, limiter in Redis`, withRedis.port, call('get_contact', { workspace_id: 'acme-hotels', contact_id: contactId }), auth));
    withRedis.child.kill();
  }
}
redisServer?.child.kill();

const ceiling = rows[0].rps;
const peer = rows[1].rps;
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\nServer benchmark: autocannon, ${connections} connections unless the clients column says otherwise, ${duration} s per row after a 2 s warm-up, node ${process.version}, ${new Date().toISOString()}\n`);
console.log('| workload | clients | req/s | p50 ms | p99 ms | vs (a) | vs (b) | errors |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.clients} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt((r.rps / ceiling) * 100)}% | ${fmt(r.rps / peer, 2)}× | ${r.errors} |`);
}
console.log('\n| process | RSS MB at end | peak RSS MB |');
console.log('| --- | ---: | ---: |');
for (const m of memory) console.log(`| ${m.name} | ${fmt(m.rssMb)} | ${fmt(m.peakMb)} |`);
