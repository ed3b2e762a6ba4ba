import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prettyLine } from '../src/logger.js';
import { createConduitServer } from '../src/server.js';
import { runCommand, type RunOptions } from './command-helpers.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

/** `serve` run in this process as the CLI runs it; stopped after each test. */
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function serve(t: TestStore, args: string[], options: RunOptions = {}) {
  const result = await runCommand(['serve', '--port', '0', ...t.databaseArgs, ...args], { ...options, onShutdown: (stop) => stops.push(stop) });
  const url = /Conduit MCP server (\S+)/.exec(result.out)?.[1];
  return { ...result, url };
}

/** What the hints should carry to reach the same database. */
function hintFlags(t: TestStore): string {
  return t.databaseArgs[0] === '--data-dir' ? ` --data-dir ${t.databaseArgs[1]}` : ' --database "$DATABASE_URL"';
}

describe('serve --demo', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
  });
  afterAll(async () => t.cleanup());

  it('seeds an empty database and prints the sign-in, a token and how to administer the same database', async () => {
    const first = await serve(t, ['--demo', '--log-level', 'silent']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('Demo data created: acme-hotels, northwind-clinic\n');
    expect(first.out).toMatch(/ {2}API token \(read_write, shown once\): capi_\w+\n/);
    expect(first.out).toContain(`Administer (users, tokens, OAuth grants): conduit-mcp-server <command>${hintFlags(t)}, e.g. conduit-mcp-server users list${hintFlags(t)}\n`);
  });

  it('seeds nothing the second time, and its hint names the same database', async () => {
    const second = await serve(t, ['--demo', '--log-level', 'silent']);
    expect(second.out).toContain(
      `Demo data already present (acme-hotels): nothing seeded. Tokens are shown only once; create another with:\n  conduit-mcp-server tokens create --workspace acme-hotels --access read_write${hintFlags(t)}\n`,
    );
    expect(second.out).not.toMatch(/capi_\w/);
    const tokens = await t.store.db.selectFrom('api_tokens').select('id').execute();
    expect(tokens).toHaveLength(1);
  });
});

describe('serve --demo on a database that is not empty', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    await createWorkspace(t.store, 'acme');
  });
  afterAll(async () => t.cleanup());

  it('seeds nothing (it added a demo user and a read_write token before) and says why', async () => {
    const result = await serve(t, ['--demo', '--log-level', 'silent']);
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      'Demo data not created: --demo only seeds an empty database, and this one has 1 workspace.\n  For the demo, use a new database, e.g. conduit-mcp-server serve --demo --data-dir .conduit-demo\n',
    );
    expect(await t.store.db.selectFrom('users').select('id').execute()).toEqual([]);
    expect(await t.store.db.selectFrom('api_tokens').select('id').execute()).toEqual([]);
    expect(await t.store.db.selectFrom('workspaces').select('slug').execute()).toEqual([{ slug: 'acme' }]);
  });
});

describe('serve options', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
  });
  afterAll(async () => t.cleanup());

  it('refuses invalid options before opening anything, naming each', async () => {
    const result = await runCommand(['serve', ...t.databaseArgs, '--public-url', 'https://example.com/conduit', '--trusted-proxies', 'not-an-ip', '--port', '-1'], {
      env: { LOG_FORMAT: 'ignored', CONDUIT_LOG_FORMAT: 'colour' },
    });
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^error: invalid --port "-1": expected a port number/),
      expect.stringMatching(/^error: invalid --public-url "https:\/\/example\.com\/conduit": has a path \(\/conduit\)/),
      expect.stringMatching(/^error: invalid --trusted-proxies "not-an-ip": "not-an-ip" is not an IP address/),
      'error: invalid CONDUIT_LOG_FORMAT "colour": expected one of auto, json, pretty',
    ]);
  });

  it("sets V8's heap growth for the process: 20 % unless --heap-growth-percent or CONDUIT_HEAP_GROWTH_PERCENT says otherwise", async () => {
    const set: number[] = [];
    const limitHeapGrowth = (percent: number) => void set.push(percent);
    expect((await serve(t, ['--log-level', 'silent'], { limitHeapGrowth })).code).toBe(0);
    expect((await serve(t, ['--log-level', 'silent', '--heap-growth-percent', '0'], { limitHeapGrowth, env: { CONDUIT_HEAP_GROWTH_PERCENT: '50' } })).code).toBe(0);
    expect((await serve(t, ['--log-level', 'silent'], { limitHeapGrowth, env: { CONDUIT_HEAP_GROWTH_PERCENT: '50' } })).code).toBe(0);
    expect(set).toEqual([20, 0, 50]);
    // An invalid value stops serve before anything is set or opened.
    const refused = await runCommand(['serve', ...t.databaseArgs, '--heap-growth-percent', '-5'], { limitHeapGrowth });
    expect(refused.err).toBe('error: invalid --heap-growth-percent "-5": expected a whole number from 0 to 300\n');
    expect(set).toEqual([20, 0, 50]);
  });

  it('the programmatic API refuses the same public URLs', async () => {
    await expect(createConduitServer({ store: t.store, port: 0, delivery: false, logLevel: 'silent', publicUrl: 'https://example.com/conduit' })).rejects.toThrow(
      /^invalid publicUrl "https:\/\/example\.com\/conduit": has a path \(\/conduit\)/,
    );
  });

  it('runs searches in a read pool of the size asked for, and says so', async () => {
    const result = await serve(t, ['--log-level', 'silent', '--read-pool-size', '2'], { env: { CONDUIT_READ_POOL_PER_WORKSPACE: '1' } });
    expect(result.code).toBe(0);
    const where = t.store.dialect === 'sqlite' ? '2 worker threads' : '2 at a time';
    expect(result.out).toContain(`  searches: ${where}, at most 1 per workspace\n`);
    // On SQLite the buckets live in their own file (store/sqlite/bucket-file.ts), and it says which.
    const buckets = t.store.dialect === 'sqlite' ? `${t.store.location}-limits` : 'the database';
    expect(result.out).toContain(`  rate limit: 120/min per workspace, buckets in ${buckets}\n`);
    const metrics = await (await fetch(new URL('/metrics', result.url))).text();
    expect(metrics).toMatch(/^conduit_read_pool_size 2$/m);
  });

  it('serves at the public URL it was given, from the environment too', async () => {
    const result = await serve(t, ['--log-level', 'silent'], { env: { CONDUIT_PUBLIC_URL: 'https://mcp.example.com' } });
    expect(result.url).toBe('https://mcp.example.com/v1/mcp');
  });
});

describe('serve logs', () => {
  let t: TestStore;
  let token: string;
  beforeAll(async () => {
    t = await createTestStore();
    const demo = await serve(t, ['--demo', '--log-level', 'silent']);
    token = /shown once\): (capi_\w+)/.exec(demo.out)![1]!;
    while (stops.length) await stops.pop()!();
  });
  afterAll(async () => t.cleanup());

  async function logsOf(args: string[], isTTY: boolean, env: NodeJS.ProcessEnv = {}): Promise<string> {
    let logs = '';
    const started = await serve(t, args, { env, logOutput: { isTTY, write: (text) => void (logs += text) } });
    const post = (auth: string) =>
      fetch(started.url!, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_workspaces', arguments: {} } }),
      });
    expect((await post(`Bearer ${token}`)).status).toBe(200);
    expect((await post(`Bearer ${token.slice(0, -1)}x`)).status).toBe(401);
    while (stops.length) await stops.pop()!();
    return logs;
  }

  it('writes a readable line per request to a terminal, and never the token', async () => {
    const logs = await logsOf([], true);
    const lines = logs.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d POST \/v1\/mcp 200 \d+\.\d ms id=[0-9a-f]{8}$/), expect.stringMatching(/^\d\d:\d\d:\d\d POST \/v1\/mcp 401 \d+\.\d ms id=[0-9a-f]{8}$/)]);
    expect(logs).not.toContain(token.slice(5, 20));
  });

  it('writes JSON lines when the output is not a terminal, and never the token', async () => {
    const logs = await logsOf([], false);
    const entries = logs.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((e) => [e.msg, e.method, e.path, e.status])).toEqual([
      ['request', 'POST', '/v1/mcp', 200],
      ['request', 'POST', '/v1/mcp', 401],
    ]);
    expect(logs).not.toContain(token.slice(5, 20));
  });

  it('takes the format asked for, by flag or CONDUIT_LOG_FORMAT, whatever the output is', async () => {
    expect(JSON.parse((await logsOf(['--log-format', 'json'], true)).split('\n')[0]!)).toMatchObject({ msg: 'request', status: 200 });
    expect(await logsOf([], false, { CONDUIT_LOG_FORMAT: 'pretty' })).toMatch(/^\d\d:\d\d:\d\d POST \/v1\/mcp 200 /);
    expect(await logsOf(['--log-level', 'warn'], true)).toBe('');
  });
});

describe('the readable log format', () => {
  const at = Date.UTC(2026, 11, 6, 14, 3, 7);
  const local = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

  it('shows a warning with its fields and an error with its stack, indented', () => {
    expect(prettyLine(JSON.stringify({ level: 40, time: at, pid: 1, hostname: 'h', request_id: 'abcdef0123456789', reason: 'database is locked', msg: 'database unavailable' }))).toBe(
      `${local(at)} WARN database unavailable  request_id=abcdef01 reason="database is locked"\n`,
    );
    expect(prettyLine(JSON.stringify({ level: 50, time: at, err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' }, msg: 'request failed' }))).toBe(
      `${local(at)} ERROR request failed  error="boom"\n    Error: boom\n        at x\n`,
    );
    expect(prettyLine(JSON.stringify({ level: 30, time: at, message_id: 'msg_1', msg: 'message delivered' }))).toBe(`${local(at)} message delivered  message_id=msg_1\n`);
  });

  it('passes through a line that is not JSON', () => {
    expect(prettyLine('not json')).toBe('not json\n');
  });
});
