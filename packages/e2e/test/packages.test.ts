import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Both packages as a user gets them from the registry: `pnpm pack`, then `npm install` of the two
 * tarballs into an empty directory, then the bins through npx: `conduit-mcp --version`,
 * `conduit-mcp-server serve --demo`, and a tool call from an MCP client that starts
 * `npx conduit-mcp` on stdio against that server. Nothing from the workspace is on the path.
 * It runs on whichever Node runs the suite (CI: 20, 22 and 24).
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'conduit-packages-'));
const app = join(work, 'app');
const tarballs: Record<'cli' | 'server', string> = { cli: '', server: '' };
let install: { code: number | null; output: string };
let server: ChildProcess | undefined;

/**
 * The environment of a user's shell: none of the workspace's or the test runner's variables. The
 * user's npm configuration stays (npmrc; npm_config_nodedir, which scripts/with-node.sh sets so
 * that native modules build for the Node that runs them).
 */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // NODE_PATH (pnpm's bin shims set it) would let require() find the workspace's packages.
    const workspaceOnly =
      key.startsWith('CONDUIT_') || key.startsWith('VITEST') || key === 'NODE_OPTIONS' || key === 'NODE_PATH' || (key.startsWith('npm_') && key !== 'npm_config_nodedir');
    if (value !== undefined && !workspaceOnly) env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

function run(command: string, args: string[], cwd: string, env = userEnv()) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 600_000 });
  return { code: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function pack(dir: string): string {
  const packed = run('pnpm', ['pack', '--pack-destination', work], join(ROOT, 'packages', dir), { ...process.env } as Record<string, string>);
  expect(packed.code, packed.output).toBe(0);
  const file = packed.stdout.trim().split('\n').at(-1)!.trim();
  expect(existsSync(file), packed.output).toBe(true);
  return file;
}

/** `npm ls --json`'s shape. */
interface Tree {
  version?: string;
  dependencies?: Record<string, Tree>;
}

function tarballFiles(file: string): string[] {
  return run('tar', ['-tzf', file], work).stdout.trim().split('\n');
}

/**
 * A user's `npm install` gets better-sqlite3's binary from its GitHub release (prebuild-install);
 * this machine reaches only the npm registry, so the install would compile SQLite from source,
 * about 110 s of CI's time. The binary the workspace's own better-sqlite3 (the same version)
 * loads in this Node stands in for that download, through prebuild-install's documented
 * `<package>_local_prebuilds` folder, packed as a release asset is. Where the workspace's copy
 * does not load here, the install compiles, as a user's would without a download.
 */
function localPrebuilds(): Record<string, string> {
  const serverPackage = join(ROOT, 'packages', 'server', 'package.json');
  // A child opens a database, so `bindings` picks the binary as the server would (scripts/with-node.sh
  // keeps one per Node ABI), and names the file it loaded.
  const loaded = spawnSync(
    process.execPath,
    [
      '-e',
      `const load = require('node:module').createRequire(process.argv[1]);
       const Database = load('better-sqlite3');
       new Database(':memory:').close();
       const { version } = load('better-sqlite3/package.json');
       const binary = Object.keys(require.cache).find((file) => file.endsWith('better_sqlite3.node'));
       console.log(JSON.stringify({ version, binary }));`,
      serverPackage,
    ],
    { encoding: 'utf8' },
  );
  if (loaded.status !== 0) return {};
  const { version, binary } = JSON.parse(loaded.stdout) as { version: string; binary: string };
  const asset = join(work, 'prebuild');
  mkdirSync(join(asset, 'build', 'Release'), { recursive: true });
  copyFileSync(binary, join(asset, 'build', 'Release', 'better_sqlite3.node'));
  const dir = join(work, 'prebuilds');
  mkdirSync(dir);
  const target = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
  const packed = run('tar', ['-czf', join(dir, `better-sqlite3-v${version}-${target}.tar.gz`), 'build'], asset);
  expect(packed.code, packed.output).toBe(0);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

beforeAll(() => {
  tarballs.cli = pack('cli');
  tarballs.server = pack('server');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'conduit-packages-test', version: '1.0.0', private: true }));
  // The user's npm cache, so a second run downloads nothing.
  const npmCache = join(tmpdir(), 'conduit-packages-npm-cache');
  install = run('npm', ['install', '--cache', npmCache, '--prefer-offline', tarballs.cli, tarballs.server], app, userEnv(localPrebuilds()));
}, 900_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    // npx runs the server as its child: signal the whole process group, or the server outlives the test.
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    process.kill(-server.pid!, 'SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('each carry their README, their MIT LICENSE and only what they need', () => {
    const cli = tarballFiles(tarballs.cli);
    const server = tarballFiles(tarballs.server);
    for (const files of [cli, server]) {
      expect(files).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE', 'package/package.json', 'package/dist/cli.js']));
      expect(files.filter((file) => !/^package\/(dist\/|README\.md$|LICENSE$|package\.json$)/.test(file))).toEqual([]);
    }
    // The server's read pool runs this file in its worker threads.
    expect(server).toContain('package/dist/read-worker.js');
    // The CLI ships its bundle without source maps, and the licenses of what it bundles.
    expect(cli.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(cli).toContain('package/dist/THIRD-PARTY-LICENSES.md');
    const license = run('tar', ['-xzOf', tarballs.cli, 'package/LICENSE'], work).stdout;
    expect(license).toMatch(/^MIT License/);
  });

  it('install with npm into an empty directory; the CLI is one package, its dependencies bundled', () => {
    expect(install.code, install.output).toBe(0);
    // (npm 11 lists the server's better-sqlite3 among packages with install scripts; nothing of the CLI's.)
    expect(install.output).not.toMatch(/gyp ERR|keyring|conduit-mcp@/);
    const cliManifest = JSON.parse(readFileSync(join(app, 'node_modules', 'conduit-mcp', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(cliManifest.dependencies).toBeUndefined();
    expect(Object.keys(cliManifest.optionalDependencies ?? {})).toEqual(['@napi-rs/keyring']);
    // What `npm install conduit-mcp` brings: the package, the keychain module and the one package
    // that holds its binary for this machine — none of them with an install script.
    // (npm ls lists optional dependencies it skipped, and the optional zod peer, without a version.)
    const installed = (deps: Record<string, Tree> = {}) => Object.keys(deps).filter((name) => deps[name]!.version);
    const tree = JSON.parse(run('npm', ['ls', '--all', '--json'], app).stdout) as Tree;
    const cli = tree.dependencies!['conduit-mcp']!;
    // (zod is the optional peer the published .d.ts names; the server installed beside it brings one.)
    expect(installed(cli.dependencies).filter((name) => name !== 'zod')).toEqual(['@napi-rs/keyring']);
    const binaries = installed(cli.dependencies!['@napi-rs/keyring']!.dependencies);
    expect(binaries).toHaveLength(1);
    expect(binaries[0]).toMatch(new RegExp(`^@napi-rs/keyring-${process.platform}-${process.arch}`));
    for (const name of ['conduit-mcp', '@napi-rs/keyring', binaries[0]!]) {
      const manifest = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      expect(Object.keys(manifest.scripts ?? {}).filter((script) => /install/.test(script)), name).toEqual([]);
    }
  });

  it('npx conduit-mcp --version prints the packed version', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
    const result = run('npx', ['--no-install', 'conduit-mcp', '--version'], app);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('npx conduit-mcp-server serve --demo, then a tool call through npx conduit-mcp on stdio', async () => {
    const dataDir = join(work, 'data');
    server = spawn('npx', ['--no-install', 'conduit-mcp-server', 'serve', '--demo', '--port', '0', '--data-dir', dataDir], { cwd: app, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const started = new Promise<{ url: string; token: string }>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /Conduit MCP server (\S+)/.exec(output)?.[1];
        const token = /API token \(read_write, shown once\): (capi_\S+)/.exec(output)?.[1];
        if (url && token) resolve({ url, token });
      };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      server!.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
    });
    const { url, token } = await started;

    const transport = new StdioClientTransport({
      command: 'npx',
      args: ['--no-install', 'conduit-mcp', '--url', url],
      cwd: app,
      env: userEnv({ CONDUIT_API_TOKEN: token, CONDUIT_CONFIG_DIR: join(work, 'config') }),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'packages-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = (await client.callTool({ name: 'list_workspaces', arguments: {} })) as { isError?: boolean; structuredContent?: { data: Array<{ slug: string }> } };
      expect(result.isError ?? false).toBe(false);
      expect(result.structuredContent?.data.map((workspace) => workspace.slug)).toContain('acme-hotels');
      // A search runs in the read pool's worker thread, from the installed package's dist/read-worker.js.
      expect(output).toMatch(/ {2}searches: \d+ worker threads?, at most \d+ per workspace\n/);
      const search = (await client.callTool({ name: 'search_conversations', arguments: { workspace_id: 'acme-hotels', query: '"double charge"' } })) as {
        isError?: boolean;
        structuredContent?: { data: unknown[] };
      };
      expect(search.isError ?? false).toBe(false);
      expect(search.structuredContent?.data.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});

describe('installing the CLI where the keychain module has no binary', () => {
  it('is quiet even with install scripts in the foreground, and the CLI falls back to the file store with one warning', () => {
    // npm picks the keychain module's binary package by os/cpu; installing for a CPU it publishes
    // none for leaves the module without a binary, as on such a machine. Foreground scripts would
    // show any install script's output (they are how a gyp wall reaches the user): there is none.
    const dir = join(work, 'no-binary');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'conduit-no-binary', version: '1.0.0', private: true }));
    const env = userEnv({ npm_config_foreground_scripts: 'true' });
    const result = run('npm', ['install', '--cache', join(tmpdir(), 'conduit-packages-npm-cache'), '--prefer-offline', '--cpu=s390x', tarballs.cli], dir, env);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toMatch(/gyp|prebuild|install-scripts|warn|ERR/i);
    expect(result.output.trim().split('\n').length, result.output).toBeLessThanOrEqual(3);
    expect(readdirSync(join(dir, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['@napi-rs', 'conduit-mcp']);
    expect(readdirSync(join(dir, 'node_modules', '@napi-rs'))).toEqual(['keyring']);

    const version = run('npx', ['--no-install', 'conduit-mcp', '--version'], dir, env);
    expect(version.code, version.output).toBe(0);
    const configDir = join(work, 'no-binary-config');
    const status = run('npx', ['--no-install', 'conduit-mcp', 'status'], dir, userEnv({ CONDUIT_CONFIG_DIR: configDir }));
    expect(status.code, status.output).toBe(0);
    const warnings = status.stderr.split('\n').filter((line) => line.includes('no usable OS keychain'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`its module, @napi-rs/keyring, installed without its native binary for ${process.platform}-${process.arch}`);
    expect(warnings[0]).toContain(`Credentials are stored in ${join(configDir, 'credentials')}`);
    const again = run('npx', ['--no-install', 'conduit-mcp', 'status'], dir, userEnv({ CONDUIT_CONFIG_DIR: configDir }));
    expect(again.stderr).toBe('');
  });
});
