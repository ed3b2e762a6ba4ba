import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseServerConfig, parseStoreConfig, SERVE_COMMAND_SETTINGS, SERVER_SETTINGS, STORE_SETTINGS } from '../src/config/server-config.js';
import { addSettings, ConfigError } from '../src/config/setting.js';

/** `serve`'s flags as commander hands them over: parsed from an argument list by the real option set. */
function flags(...args: string[]): Record<string, unknown> {
  const command = addSettings(new Command('serve').exitOverride(), { ...STORE_SETTINGS, ...SERVER_SETTINGS, ...SERVE_COMMAND_SETTINGS });
  command.parse(args, { from: 'user' });
  return command.opts();
}

function config(args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return parseServerConfig(flags(...args), env);
}

function problems(args: string[], env: NodeJS.ProcessEnv = {}): string[] {
  try {
    config(args, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('server configuration: defaults', () => {
  it('runs on the embedded database on loopback with the documented defaults when nothing is set', () => {
    const c = config();
    expect(c.store).toEqual({ dataDir: '.conduit-data', database: undefined, poolMax: 10, namedStatements: true });
    expect(c.server).toEqual({
      host: '127.0.0.1',
      port: 8787,
      publicUrl: undefined,
      allowedHosts: undefined,
      allowedOrigins: undefined,
      trustedProxies: undefined,
      rateLimit: { limit: 120, windowSeconds: 60 },
      redisUrl: undefined,
      deliveryWebhook: undefined,
      deliverySecret: undefined,
      deliveryClaimSeconds: 60,
      requestTimeout: 30,
      readPoolSize: undefined,
      readPoolPerWorkspace: undefined,
      sessions: false,
      logLevel: 'info',
      logFormat: 'auto',
    });
    expect(c.readPool).toEqual({ size: availableParallelism(), perWorkspace: undefined });
    expect(c.demo).toBe(false);
    expect(c.heapGrowthPercent).toBe(20);
  });

  it('maps every flag to its setting, and every setting that has no flag to an environment variable', () => {
    for (const [key, setting] of Object.entries({ ...STORE_SETTINGS, ...SERVER_SETTINGS, ...SERVE_COMMAND_SETTINGS })) {
      expect(setting.flag ?? setting.env, key).toBeTruthy();
    }
    // addSettings throws when a flag would be read under another name.
    expect(() => flags()).not.toThrow();
  });

  it('lists each environment variable in the help, the environment-only ones after the options', () => {
    const command = addSettings(new Command('serve'), { ...STORE_SETTINGS, ...SERVER_SETTINGS, ...SERVE_COMMAND_SETTINGS });
    let help = '';
    command.configureOutput({ writeOut: (text) => (help += text) });
    command.outputHelp();
    help = help.replace(/\s+/g, ' ');
    for (const setting of Object.values({ ...STORE_SETTINGS, ...SERVER_SETTINGS })) {
      if (setting.env) expect(help).toContain(setting.flag ? `env ${setting.env}` : setting.env);
    }
    expect(help).toContain('Environment only:');
  });
});

/**
 * Each setting: a valid value from the flag and from the environment, and an invalid value whose
 * error names the flag or the variable it came from and says what is accepted.
 */
interface Case {
  flag?: string;
  env?: string;
  valid: string;
  expected: (c: ReturnType<typeof config>) => unknown;
  want: unknown;
  invalid: string;
  error: RegExp;
}

const CASES: Record<string, Case> = {
  host: { flag: '--host', env: 'HOST', valid: '::', expected: (c) => c.server.host, want: '::', invalid: 'http://x', error: /expected an IP address or host name to listen on/ },
  port: { flag: '--port', env: 'PORT', valid: '0', expected: (c) => c.server.port, want: 0, invalid: '65536', error: /expected a port number from 0 to 65535/ },
  publicUrl: {
    flag: '--public-url',
    env: 'CONDUIT_PUBLIC_URL',
    valid: 'https://MCP.example.com/',
    expected: (c) => c.server.publicUrl,
    want: 'https://mcp.example.com',
    invalid: 'not-a-url',
    error: /expected an absolute URL such as https:\/\/mcp\.example\.com/,
  },
  allowedHosts: {
    flag: '--allowed-hosts',
    env: 'CONDUIT_ALLOWED_HOSTS',
    valid: 'mcp.internal, 10.0.0.5:8787,[::1]:80',
    expected: (c) => c.server.allowedHosts,
    want: ['mcp.internal', '10.0.0.5:8787', '[::1]:80'],
    invalid: 'mcp.internal,https://x',
    error: /"https:\/\/x" is not a host: expected host names or addresses with an optional port/,
  },
  allowedOrigins: {
    flag: '--allowed-origins',
    env: 'CONDUIT_ALLOWED_ORIGINS',
    valid: 'https://app.example.com,http://localhost:3000/',
    expected: (c) => c.server.allowedOrigins,
    want: ['https://app.example.com', 'http://localhost:3000'],
    invalid: 'https://app.example.com/path',
    error: /is not an origin: expected http\(s\):\/\/host\[:port\] with no path/,
  },
  trustedProxies: {
    flag: '--trusted-proxies',
    env: 'CONDUIT_TRUSTED_PROXIES',
    valid: '127.0.0.1, ::ffff:10.0.0.1, 0:0:0:0:0:0:0:1',
    expected: (c) => c.server.trustedProxies,
    want: ['127.0.0.1', '10.0.0.1', '::1'],
    invalid: 'not-an-ip',
    error: /"not-an-ip" is not an IP address: expected IP addresses such as 127\.0\.0\.1/,
  },
  rateLimit: {
    flag: '--rate-limit',
    env: 'CONDUIT_RATE_LIMIT',
    valid: '0',
    expected: (c) => c.server.rateLimit,
    want: false,
    invalid: '1.5',
    error: /expected a whole number of requests per minute from 0/,
  },
  redisUrl: {
    flag: '--redis-url',
    env: 'REDIS_URL',
    valid: 'redis://:pw@cache:6379/0',
    expected: (c) => c.server.redisUrl,
    want: 'redis://:pw@cache:6379/0',
    invalid: 'http://:secret-pw@cache:6379',
    error: /"http:\/\/:\*\*\*@cache:6379": unsupported scheme "http:"; expected redis:\/\//,
  },
  deliveryClaimSeconds: {
    flag: '--delivery-claim-seconds',
    env: 'CONDUIT_DELIVERY_CLAIM_SECONDS',
    valid: '2.5',
    expected: (c) => c.server.deliveryClaimSeconds,
    want: 2.5,
    invalid: '0',
    error: /expected a number of seconds above 0, at most 86400/,
  },
  requestTimeout: {
    flag: '--request-timeout',
    env: 'CONDUIT_REQUEST_TIMEOUT',
    valid: '5',
    expected: (c) => c.server.requestTimeout,
    want: 5,
    invalid: '0',
    error: /expected a whole number of seconds from 1 to 3600/,
  },
  readPoolSize: { flag: '--read-pool-size', env: 'CONDUIT_READ_POOL_SIZE', valid: '0', expected: (c) => c.readPool.size, want: 0, invalid: 'two', error: /expected a whole number from 0 to 256/ },
  readPoolPerWorkspace: {
    flag: '--read-pool-per-workspace',
    env: 'CONDUIT_READ_POOL_PER_WORKSPACE',
    valid: '1',
    expected: (c) => c.readPool.perWorkspace,
    want: 1,
    invalid: '0',
    error: /expected a whole number from 1 to 256/,
  },
  heapGrowthPercent: {
    flag: '--heap-growth-percent',
    env: 'CONDUIT_HEAP_GROWTH_PERCENT',
    valid: '0',
    expected: (c) => c.heapGrowthPercent,
    want: 0,
    invalid: '301',
    error: /expected a whole number from 0 to 300/,
  },
  logLevel: { flag: '--log-level', env: 'LOG_LEVEL', valid: 'warn', expected: (c) => c.server.logLevel, want: 'warn', invalid: 'verbose', error: /expected one of trace, debug, info, warn, error, fatal, silent/ },
  logFormat: { flag: '--log-format', env: 'CONDUIT_LOG_FORMAT', valid: 'json', expected: (c) => c.server.logFormat, want: 'json', invalid: 'text', error: /expected one of auto, json, pretty/ },
  dataDir: { flag: '--data-dir', env: 'CONDUIT_DATA_DIR', valid: '/var/lib/conduit', expected: (c) => c.store.dataDir, want: '/var/lib/conduit', invalid: ' ', error: /expected a directory/ },
  database: {
    flag: '--database',
    env: 'DATABASE_URL',
    valid: 'postgresql://u:pw@db/conduit',
    expected: (c) => c.store.database,
    want: 'postgresql://u:pw@db/conduit',
    invalid: 'postgress://conduit:s3cret@db/conduit',
    error: /unsupported scheme "postgress:"; expected postgres:\/\/…, postgresql:\/\/… or sqlite:<file>/,
  },
  poolMax: { env: 'PGPOOL_MAX', valid: '25', expected: (c) => c.store.poolMax, want: 25, invalid: 'many', error: /expected a whole number from 1 to 1000/ },
  namedStatements: { env: 'CONDUIT_PG_NAMED_STATEMENTS', valid: 'off', expected: (c) => c.store.namedStatements, want: false, invalid: 'no', error: /expected one of on, off/ },
  sessions: { env: 'CONDUIT_SESSIONS', valid: 'true', expected: (c) => c.server.sessions, want: true, invalid: 'sometimes', error: /expected true or false/ },
};

describe('server configuration: every setting, from its flag and its environment variable', () => {
  it('has a case for every setting', () => {
    const declared = Object.keys({ ...STORE_SETTINGS, ...SERVER_SETTINGS, ...SERVE_COMMAND_SETTINGS }).filter((k) => !['deliveryWebhook', 'deliverySecret', 'demo'].includes(k));
    expect(Object.keys(CASES).sort()).toEqual(declared.sort());
  });

  for (const [key, c] of Object.entries(CASES)) {
    describe(key, () => {
      if (c.flag) {
        it(`takes ${c.flag}, and names ${c.flag} and what it accepts for an invalid value`, () => {
          expect(c.expected(config([c.flag!, c.valid]))).toEqual(c.want);
          const [problem, ...rest] = problems([c.flag!, c.invalid]);
          expect(rest).toEqual([]);
          expect(problem).toMatch(new RegExp(`^invalid ${c.flag} `));
          expect(problem).toMatch(c.error);
        });
      }
      if (c.env) {
        it(`takes ${c.env}, and names ${c.env} and what it accepts for an invalid value`, () => {
          expect(c.expected(config([], { [c.env!]: c.valid }))).toEqual(c.want);
          const [problem] = problems([], { [c.env!]: c.invalid });
          expect(problem).toMatch(new RegExp(`^invalid ${c.env} `));
          expect(problem).toMatch(c.error);
        });
      }
    });
  }

  it('lets the flag win over the environment variable, and treats an empty variable as unset', () => {
    expect(config(['--port', '9000'], { PORT: '9001' }).server.port).toBe(9000);
    expect(config([], { PORT: '' }).server.port).toBe(8787);
    expect(config([], { REDIS_URL: '' }).server.redisUrl).toBeUndefined();
  });

  it('reports every invalid setting at once', () => {
    expect(problems(['--port', 'x', '--public-url', 'nope'], { LOG_LEVEL: 'loud' })).toEqual([
      expect.stringMatching(/^invalid --port "x"/),
      expect.stringMatching(/^invalid --public-url "nope"/),
      expect.stringMatching(/^invalid LOG_LEVEL "loud"/),
    ]);
  });

  it('switches: --sessions and --demo are flags without a value', () => {
    expect(config(['--sessions', '--demo'])).toMatchObject({ server: { sessions: true }, demo: true });
  });
});

describe('server configuration: values that would silently do something else', () => {
  it('refuses a database URL of any other scheme instead of using SQLite, without showing its password', () => {
    for (const url of ['mysql://root:s3cret@db/conduit', 'postgress://conduit:s3cret@db/conduit', 'postgres:/db', 'sqlite://data.db', 'conduit.db']) {
      const [problem] = problems(['--database', url]);
      expect(problem).toMatch(/^invalid --database /);
      expect(problem).toContain('expected');
      expect(problem).not.toContain('s3cret');
    }
    expect(config(['--database', 'sqlite:data/conduit.db']).store.database).toBe('sqlite:data/conduit.db');
  });

  it('refuses --data-dir together with --database: they name two databases', () => {
    expect(problems(['--data-dir', 'x', '--database', 'postgres://db/conduit'])).toEqual(['--data-dir and --database name two different databases: give one of them']);
  });

  it('takes the database from a flag before either variable, and DATABASE_URL before CONDUIT_DATA_DIR', () => {
    const env = { DATABASE_URL: 'postgres://db/conduit', CONDUIT_DATA_DIR: '/data' };
    expect(parseStoreConfig({}, env)).toMatchObject({ database: 'postgres://db/conduit', dataDir: undefined });
    expect(parseStoreConfig({ dataDir: 'here' }, env)).toMatchObject({ database: undefined, dataDir: 'here' });
    expect(parseStoreConfig({ database: 'sqlite:x.db' }, env)).toMatchObject({ database: 'sqlite:x.db', dataDir: undefined });
    expect(parseStoreConfig({}, { CONDUIT_DATA_DIR: '/data' })).toMatchObject({ database: undefined, dataDir: '/data' });
  });

  it('refuses a public URL with a path prefix, and says to drop /v1/mcp from the MCP endpoint', () => {
    expect(problems(['--public-url', 'https://example.com/conduit'])[0]).toMatch(/has a path \(\/conduit\): .*a path prefix is not supported/);
    expect(problems(['--public-url', 'https://mcp.example.com/v1/mcp'])[0]).toMatch(/expected the server's origin, https:\/\/mcp\.example\.com, without \/v1\/mcp/);
    expect(problems(['--public-url', 'ftp://mcp.example.com'])[0]).toMatch(/expected an http:\/\/ or https:\/\/ URL/);
    expect(problems(['--public-url', 'https://user:pw@mcp.example.com'])[0]).toMatch(/without a user name or password/);
    expect(problems(['--public-url', 'https://mcp.example.com/?x=1'])[0]).toMatch(/without a query or fragment/);
  });

  it('refuses CIDR ranges in --trusted-proxies rather than matching nothing', () => {
    expect(problems(['--trusted-proxies', '127.0.0.1,10.0.0.0/8'])[0]).toMatch(/"10\.0\.0\.0\/8" is a range: CIDR ranges are not supported/);
  });

  it('needs CONDUIT_DELIVERY_SECRET with a webhook, of at least 16 characters, and never repeats it', () => {
    expect(problems(['--delivery-webhook', 'https://hooks.example.com/conduit'])).toEqual([expect.stringMatching(/--delivery-webhook needs the signing secret in env CONDUIT_DELIVERY_SECRET/)]);
    const [short] = problems(['--delivery-webhook', 'https://hooks.example.com/conduit'], { CONDUIT_DELIVERY_SECRET: 'tiny-secret' });
    expect(short).toBe('invalid CONDUIT_DELIVERY_SECRET: expected at least 16 characters (it got 11)');
    const ok = config(['--delivery-webhook', 'https://hooks.example.com/conduit'], { CONDUIT_DELIVERY_SECRET: 'a-long-enough-secret' });
    expect(ok.server).toMatchObject({ deliveryWebhook: 'https://hooks.example.com/conduit', deliverySecret: 'a-long-enough-secret' });
    expect(config([], { CONDUIT_DELIVERY_WEBHOOK: 'http://127.0.0.1:9000/hook', CONDUIT_DELIVERY_SECRET: 'a-long-enough-secret' }).server.deliveryWebhook).toBe('http://127.0.0.1:9000/hook');
    const [scheme] = problems(['--delivery-webhook', 'ftp://user:pw@hooks.example.com'], { CONDUIT_DELIVERY_SECRET: 'a-long-enough-secret' });
    expect(scheme).toBe('invalid --delivery-webhook "ftp://***@hooks.example.com": expected an http:// or https:// URL, not ftp:');
  });
});

describe('server configuration: the read pool', () => {
  it('runs one search per core by default, on PostgreSQL also two fewer than its connection pool', () => {
    const cores = availableParallelism();
    expect(config().readPool).toEqual({ size: cores, perWorkspace: undefined });
    expect(config(['--database', 'postgres://db/conduit'], { PGPOOL_MAX: '3' }).readPool.size).toBe(1);
    expect(config(['--database', 'postgres://db/conduit'], { PGPOOL_MAX: '1000' }).readPool.size).toBe(cores);
    // A single connection has none to spare: searches take turns with everything else.
    expect(config(['--database', 'postgres://db/conduit'], { PGPOOL_MAX: '1' }).readPool.size).toBe(0);
    expect(config(['--read-pool-size', '3', '--read-pool-per-workspace', '2']).readPool).toEqual({ size: 3, perWorkspace: 2 });
  });

  it('refuses a per-workspace bound above the pool, or without one, naming where each value came from', () => {
    expect(problems(['--read-pool-size', '2', '--read-pool-per-workspace', '3'])).toEqual(['invalid --read-pool-per-workspace "3": expected from 1 to the read pool size, 2 (--read-pool-size)']);
    expect(problems([], { CONDUIT_READ_POOL_SIZE: '2', CONDUIT_READ_POOL_PER_WORKSPACE: '3' })).toEqual([
      'invalid CONDUIT_READ_POOL_PER_WORKSPACE "3": expected from 1 to the read pool size, 2 (CONDUIT_READ_POOL_SIZE)',
    ]);
    expect(problems(['--read-pool-per-workspace', String(availableParallelism() + 1)])).toEqual([
      `invalid --read-pool-per-workspace "${availableParallelism() + 1}": expected from 1 to the read pool size, ${availableParallelism()} (the default here)`,
    ]);
    expect(problems(['--read-pool-size', '0', '--read-pool-per-workspace', '1'])).toEqual(['--read-pool-per-workspace needs a read pool: it cannot be used with --read-pool-size 0']);
  });

  it('refuses on PostgreSQL a pool that could hold every connection', () => {
    expect(problems(['--database', 'postgres://db/conduit', '--read-pool-size', '10'])).toEqual([
      'invalid --read-pool-size "10": expected fewer than PGPOOL_MAX (10) on PostgreSQL, so searches cannot hold every connection the other requests need',
    ]);
    expect(config(['--database', 'postgres://db/conduit', '--read-pool-size', '9']).readPool.size).toBe(9);
    // On SQLite the connection pool is not involved.
    expect(config(['--read-pool-size', '10']).readPool.size).toBe(10);
  });
});

describe('server configuration: read once, at the top', () => {
  it('reads process.env nowhere but in cli.ts: everything else gets the parsed configuration', () => {
    const root = join(import.meta.dirname, '..', 'src');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const readers = files.filter((f) => /process\.env\b/.test(readFileSync(join(root, f), 'utf8'))).map((f) => relative(root, join(root, f)));
    expect(readers).toEqual(['cli.ts']);
  });
});
