import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
/** The built `conduit-mcp` CLI, through the workspace link, as `npx conduit-mcp` would run it. */
const BRIDGE_CLI = fileURLToPath(new URL('../node_modules/conduit-mcp/dist/cli.js', import.meta.url));
const SDK_SCRIPT = join(EXAMPLES, 'sdk', 'product-page-prompts.mjs');
/** The address every example uses: the demo server on its default port. */
const EXAMPLE_ENDPOINT = 'http://127.0.0.1:8787/v1/mcp';
const BRIDGE_SUBCOMMANDS = ['login', 'logout', 'status', 'token', 'doctor'];

/** One way an example connects, collected from every file so the same checks apply to all. */
type Connection =
  | { source: string; kind: 'stdio'; args: string[] }
  | { source: string; kind: 'http'; url: string; headers: Record<string, string> };

const read = (path: string) => readFileSync(join(EXAMPLES, path), 'utf8');
const helpOf = (cli: string, ...args: string[]) => execFileSync(process.execPath, [cli, ...args, '--help'], { encoding: 'utf8' });
const flagsIn = (help: string) => new Set(help.match(/--[a-z][a-z-]*/g));

/** Splits a shell command line the way sh would for the quoting these docs use. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** Command lines in a markdown file's fenced blocks, with `\` continuations joined and comments cut. */
function codeBlockCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks
    .flatMap((block) => block.replace(/\\\n\s*/g, '').split('\n'))
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter(Boolean);
}

/** `npx [-y] conduit-mcp …` → the CLI's own arguments. */
function bridgeArgs(command: string, args: string[], source: string): string[] {
  expect(command, source).toBe('npx');
  const at = args.findIndex((arg) => /^conduit-mcp(@[\w.-]+)?$/.test(arg));
  expect(at, `${source}: runs the conduit-mcp package`).toBeGreaterThanOrEqual(0);
  for (const npxFlag of args.slice(0, at)) expect(['-y', '--yes'], source).toContain(npxFlag);
  return args.slice(at + 1);
}

/** TOML as this repository writes it: [tables], key = "string" | ["strings"] | integer. Anything else fails. */
function parseTomlSubset(text: string): Record<string, Record<string, unknown>> {
  const tables: Record<string, Record<string, unknown>> = {};
  let current: Record<string, unknown> | undefined;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[([\w.-]+)\]$/.exec(line)?.[1];
    if (header) {
      if (tables[header]) throw new Error(`line ${index + 1}: table [${header}] defined twice`);
      current = tables[header] = {};
      continue;
    }
    const pair = /^([\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|\[\s*(?:"(?:[^"\\]|\\.)*"\s*,?\s*)*\]|\d+)$/.exec(line);
    if (!pair?.[1] || !pair[2] || !current) throw new Error(`line ${index + 1} is not a key = value inside a table: ${raw}`);
    current[pair[1]] = JSON.parse(pair[2].replace(/,\s*\]$/, ']'));
  }
  return tables;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? (entry.name === 'node_modules' ? [] : jsonFiles(join(dir, entry.name))) : entry.name.endsWith('.json') ? [join(dir, entry.name)] : [],
  );
}

type ServerEntry = Record<string, unknown>;

/** A key the client does not know is at best ignored, at worst a typo that silently drops a setting. */
function onlyKeys(server: ServerEntry, allowed: string[], label: string): void {
  expect(Object.keys(server).filter((k) => !allowed.includes(k)), `${label}: unknown keys`).toEqual([]);
}

/** Shape checks per client; each returns the connections the file describes. */
const JSON_CHECKS: Record<string, (config: Record<string, unknown>, source: string) => Connection[]> = {
  // Claude Desktop's file only starts local commands; remote servers go through Settings > Connectors.
  'claude-desktop/claude_desktop_config.json': (config, source) => {
    expect(Object.keys(config)).toEqual(['mcpServers']);
    return Object.entries(config.mcpServers as Record<string, ServerEntry>).map(([name, server]) => {
      onlyKeys(server, ['command', 'args', 'env'], `${source} ${name}`);
      return { source: `${source} ${name}`, kind: 'stdio', args: bridgeArgs(server.command as string, server.args as string[], source) };
    });
  },
  'cursor/mcp.json': (config, source) => cursorConnections(config, source),
  'cursor/mcp.api-token.json': (config, source) => cursorConnections(config, source),
  'vscode/mcp.json': (config, source) => vscodeConnections(config, source),
  'vscode/mcp.api-token.json': (config, source) => vscodeConnections(config, source),
};

function cursorConnections(config: Record<string, unknown>, source: string): Connection[] {
  expect(Object.keys(config)).toEqual(['mcpServers']);
  return Object.entries(config.mcpServers as Record<string, ServerEntry>).map(([name, server]): Connection => {
    if ('url' in server) {
      onlyKeys(server, ['url', 'headers'], `${source} ${name}`);
      const headers = (server.headers ?? {}) as Record<string, string>;
      for (const ref of Object.values(headers).join(' ').match(/\$\{[^}]*\}/g) ?? []) expect(ref, source).toMatch(/^\$\{env:[A-Z_]+\}$/);
      return { source: `${source} ${name}`, kind: 'http', url: server.url as string, headers };
    }
    onlyKeys(server, ['command', 'args', 'env'], `${source} ${name}`);
    return { source: `${source} ${name}`, kind: 'stdio', args: bridgeArgs(server.command as string, server.args as string[], source) };
  });
}

function vscodeConnections(config: Record<string, unknown>, source: string): Connection[] {
  expect(Object.keys(config).filter((k) => !['servers', 'inputs'].includes(k)), `${source}: VS Code uses "servers", not "mcpServers"`).toEqual([]);
  const inputs = (config.inputs ?? []) as Array<Record<string, unknown>>;
  for (const input of inputs) expect(input, source).toMatchObject({ type: 'promptString', id: expect.any(String), password: true });
  return Object.entries(config.servers as Record<string, ServerEntry>).map(([name, server]): Connection => {
    expect(['http', 'stdio'], `${source} ${name}: VS Code's server type`).toContain(server.type);
    if (server.type === 'http') {
      onlyKeys(server, ['type', 'url', 'headers'], `${source} ${name}`);
      const headers = (server.headers ?? {}) as Record<string, string>;
      for (const ref of Object.values(headers).join(' ').match(/\$\{input:([^}]*)\}/g) ?? []) {
        expect(inputs.map((i) => `\${input:${String(i.id)}}`), `${source}: ${ref} is declared in inputs`).toContain(ref);
      }
      return { source: `${source} ${name}`, kind: 'http', url: server.url as string, headers };
    }
    onlyKeys(server, ['type', 'command', 'args', 'env'], `${source} ${name}`);
    return { source: `${source} ${name}`, kind: 'stdio', args: bridgeArgs(server.command as string, server.args as string[], source) };
  });
}

function codexConnections(): Connection[] {
  const source = 'codex/config.toml';
  const text = read(source);
  const conduit = parseTomlSubset(text)['mcp_servers.conduit'];
  expect(conduit, source).toBeDefined();
  expect(conduit?.env_vars, source).toContain('CONDUIT_API_TOKEN');
  expect(Number.isInteger(conduit?.startup_timeout_sec), source).toBe(true);
  // The commented-out HTTP alternative must be just as valid once uncommented.
  const alternative = text.split('\n').filter((line) => /^# (\[mcp_servers\.conduit\]|(url|bearer_token_env_var) = )/.test(line));
  const http = parseTomlSubset(alternative.map((line) => line.slice(2)).join('\n'))['mcp_servers.conduit'];
  expect(http?.bearer_token_env_var, source).toBe('CONDUIT_API_TOKEN');
  return [
    { source, kind: 'stdio', args: bridgeArgs(conduit?.command as string, conduit?.args as string[], source) },
    { source: `${source} (HTTP alternative)`, kind: 'http', url: http?.url as string, headers: { Authorization: 'Bearer ${CONDUIT_API_TOKEN}' } },
  ];
}

function claudeCodeConnections(): Connection[] {
  const source = 'claude-code/README.md';
  const commands = codeBlockCommands(read(source)).filter((line) => line.startsWith('claude mcp add '));
  expect(commands).toContain(`claude mcp add --transport http conduit ${EXAMPLE_ENDPOINT}`);
  expect(commands.some((c) => c.startsWith('claude mcp add conduit -- npx'))).toBe(true);
  return commands.map((command): Connection => {
    const words = shellWords(command).slice(3);
    const dashDash = words.indexOf('--');
    if (dashDash >= 0) {
      expect(words.slice(0, dashDash), command).toContain('conduit');
      return { source: command, kind: 'stdio', args: bridgeArgs(words[dashDash + 1] ?? '', words.slice(dashDash + 2), source) };
    }
    expect(words.slice(0, 4), command).toEqual(['--transport', 'http', 'conduit', EXAMPLE_ENDPOINT]);
    const headers = Object.fromEntries(
      words.flatMap((word, i) => (words[i - 1] === '--header' ? [word.split(/:\s*/, 2) as [string, string]] : [])).map(([k, v]) => [k, v.replace('$CONDUIT_API_TOKEN', '${CONDUIT_API_TOKEN}')]),
    );
    return { source: command, kind: 'http', url: EXAMPLE_ENDPOINT, headers };
  });
}

function jsonConnections(): Connection[] {
  const files = jsonFiles(EXAMPLES).map((file) => relative(EXAMPLES, file));
  expect(files.sort()).toEqual(Object.keys(JSON_CHECKS).sort()); // a new file needs a shape check
  return files.flatMap((file) => JSON_CHECKS[file]!(JSON.parse(read(file)) as Record<string, unknown>, file));
}

let collected: Connection[] | undefined;
/** Every connection of every example (checked for shape on the way), collected once. */
const allConnections = () => (collected ??= [...jsonConnections(), ...codexConnections(), ...claudeCodeConnections()]);

describe('example configurations', () => {
  it('parses every JSON file under examples/ and checks its client shape', () => {
    expect(jsonConnections().length).toBeGreaterThanOrEqual(6);
  });

  it('checks the Codex TOML and the claude mcp add commands', () => {
    expect(codexConnections()).toHaveLength(2);
    expect(claudeCodeConnections().length).toBeGreaterThanOrEqual(4);
  });

  it('uses only the endpoint and flags the CLI and server accept', () => {
    const bridgeFlags = flagsIn(helpOf(BRIDGE_CLI));
    const serveHelp = helpOf(SERVER_CLI, 'serve');
    expect(serveHelp).toMatch(/--port <port>[\s\S]*default: "8787"/);
    for (const connection of allConnections()) {
      if (connection.kind === 'http') {
        expect(connection.url, connection.source).toBe(EXAMPLE_ENDPOINT);
        continue;
      }
      const { args, source } = connection;
      expect(args[0], `${source}: the bridge takes options, no command`).toMatch(/^--/);
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(bridgeFlags, `${source}: ${flag}`).toContain(flag);
      expect(args[args.indexOf('--url') + 1], source).toBe(EXAMPLE_ENDPOINT);
      if (args.includes('--workspace')) expect(args[args.indexOf('--workspace') + 1], source).toBe('acme-hotels');
    }
  });

  it('documents only conduit-mcp commands and flags that exist', () => {
    const bridgeFlags = flagsIn(helpOf(BRIDGE_CLI));
    const markdown = ['README.md', 'claude-code/README.md'].flatMap((file) => codeBlockCommands(read(file)).map((line) => [file, line] as const));
    const uses = markdown.flatMap(([file, line]) => {
      const words = shellWords(line);
      const at = words.findIndex((w, i) => w === 'conduit-mcp' && ['npx', '-y'].includes(words[i - 1] ?? ''));
      return at >= 0 && !line.startsWith('claude mcp add') ? [{ file, words: words.slice(at + 1) }] : [];
    });
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const { file, words } of uses) {
      const sub = BRIDGE_SUBCOMMANDS.includes(words[0] ?? '') ? words[0] : undefined;
      const flags = sub ? flagsIn(helpOf(BRIDGE_CLI, sub)) : bridgeFlags;
      for (const flag of words.filter((w) => w.startsWith('--'))) expect(flags, `${file}: conduit-mcp ${sub ?? ''} ${flag}`).toContain(flag);
    }
  });

  it('has a compose file for the server on PostgreSQL 15 and a Dockerfile for the published package', () => {
    const compose = read('compose/compose.yaml');
    const dockerfile = read('compose/Dockerfile');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/server/package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
    expect(compose).toMatch(/^services:\n {2}postgres:\n {4}image: postgres:15\n/m);
    expect(compose).toMatch(/^ {4}healthcheck:\n {6}test: \["CMD-SHELL", "pg_isready -U conduit -d conduit"\]/m);
    expect(compose).toMatch(/^ {6}- pgdata:\/var\/lib\/postgresql\/data$/m);
    expect(compose).toMatch(/^volumes:\n {2}pgdata:\n/m);
    expect(compose).toMatch(/^ {2}server:\n {4}build:\n {6}context: \.\n/m);
    expect(compose).toMatch(/^ {6}DATABASE_URL: postgres:\/\/conduit:\$\{POSTGRES_PASSWORD:-conduit\}@postgres:5432\/conduit$/m);
    expect(compose).toMatch(/^ {6}CONDUIT_PUBLIC_URL: \$\{CONDUIT_PUBLIC_URL:-http:\/\/127\.0\.0\.1:8787\}$/m);
    expect(compose).toMatch(/^ {6}postgres:\n {8}condition: service_healthy$/m);
    expect(compose).toContain('- "127.0.0.1:8787:8787"');
    expect(compose).toContain('fetch(\'http://127.0.0.1:8787/healthz\')');
    expect(compose).toContain(`CONDUIT_MCP_SERVER_VERSION: \${CONDUIT_MCP_SERVER_VERSION:-${pkg.version}}`);
    // The server reads the variables compose sets, and the command's flags exist.
    const serveHelp = helpOf(SERVER_CLI, 'serve').replace(/\s+/g, ' ');
    for (const env of ['DATABASE_URL', 'CONDUIT_PUBLIC_URL', 'HOST', 'PORT']) expect(serveHelp).toContain(`env ${env}`);
    const command = JSON.parse(/^ {4}command: (\[.*\])$/m.exec(compose)?.[1] ?? 'null') as string[];
    expect(command[0]).toBe('serve');
    for (const flag of command.slice(1)) expect(flagsIn(serveHelp)).toContain(flag);

    expect(dockerfile).toMatch(/^FROM node:20-slim AS install$/m);
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toContain(`ARG CONDUIT_MCP_SERVER_VERSION=${pkg.version}`);
    expect(dockerfile).toContain(`npm install --global --omit=dev "${pkg.name}@\${CONDUIT_MCP_SERVER_VERSION}"`);
    const binTarget = pkg.bin['conduit-mcp-server']?.replace(/^\.\//, '');
    expect(dockerfile).toContain(`ln -s ../lib/node_modules/${pkg.name}/${binTarget} /usr/local/bin/conduit-mcp-server`);
    expect(dockerfile).toMatch(/^ENV HOST=0\.0\.0\.0 \\\n {4}PORT=8787$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["conduit-mcp-server"\]\nCMD \["serve"\]$/m);
  });
});

describe('examples against a demo server', () => {
  let server: ServerProcess;
  let work: string;
  let register: string;

  beforeAll(async () => {
    server = await startServer({ demo: true });
    expect(server.token).toMatch(/^capi_/);
    work = mkdtempSync(join(tmpdir(), 'conduit-examples-'));
    // The script imports @modelcontextprotocol/sdk as a user's folder would after `npm i`; from the
    // repository, bare SDK imports that do not resolve fall back to this package's copy.
    const fallback = pathToFileURL(join(ROOT, 'packages/e2e/package.json')).href;
    writeFileSync(
      join(work, 'hooks.mjs'),
      `export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.startsWith('@modelcontextprotocol/sdk/')) throw error;
    return next(specifier, { ...context, parentURL: ${JSON.stringify(fallback)} });
  }
}\n`,
    );
    register = join(work, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const atServer = (url: string) => url.replace(EXAMPLE_ENDPOINT, server.mcpUrl);
  const withToken = (value: string) => value.replace(/\$\{(env:CONDUIT_API_TOKEN|input:conduit-api-token|CONDUIT_API_TOKEN)\}/g, server.token ?? '');

  function runScript(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', pathToFileURL(register).href, SDK_SCRIPT], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1', CONDUIT_MCP_URL: server.mcpUrl, CONDUIT_WORKSPACE: 'acme-hotels', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  it('serves /healthz, the compose health check', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers the direct HTTP configs: a bearer header lists the tools, no header points to OAuth', async () => {
    const http = allConnections().filter((c): c is Extract<Connection, { kind: 'http' }> => c.kind === 'http');
    expect(http.length).toBeGreaterThan(0);
    for (const { source, url, headers } of http) {
      if (Object.keys(headers).length === 0) {
        const response = await fetch(atServer(url), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
        expect(response.status, source).toBe(401);
        expect(response.headers.get('www-authenticate'), source).toContain('resource_metadata=');
        continue;
      }
      const client = new Client({ name: 'examples-test', version: '1.0.0' });
      const requestInit = { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, withToken(v)])) };
      await client.connect(new StreamableHTTPClientTransport(new URL(atServer(url)), { requestInit }));
      expect((await client.listTools()).tools.map((t) => t.name), source).toContain('search_knowledge_nodes');
      await client.close();
    }
  });

  it('runs every stdio config through the real bridge: --read-only hides writes, --workspace fills workspace_id', async () => {
    const stdio = [...new Map(allConnections().flatMap((c) => (c.kind === 'stdio' ? [[c.args.join(' '), c] as const] : []))).values()];
    expect(stdio.length).toBeGreaterThanOrEqual(2); // pinned; pinned and read-only
    for (const { source, args } of stdio) {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [BRIDGE_CLI, ...args.map(atServer)],
        env: { PATH: process.env.PATH ?? '', HOME: work, CONDUIT_API_TOKEN: server.token ?? '', CONDUIT_CREDENTIAL_STORE: 'file', CONDUIT_CONFIG_DIR: work },
        stderr: 'pipe',
      });
      const client = new Client({ name: 'examples-test', version: '1.0.0' });
      await client.connect(transport);
      const { tools } = await client.listTools();
      const writes = tools.filter((t) => t.annotations?.readOnlyHint !== true).map((t) => t.name);
      if (args.includes('--read-only')) expect(writes, source).toEqual([]);
      else expect(writes, source).toContain('send_conversation_message');
      if (args.includes('--workspace')) {
        const result = await client.callTool({ name: 'search_knowledge_nodes', arguments: { query: '48 hours', match: 'phrase' } });
        expect(result.isError, `${source}: ${JSON.stringify(result.content)}`).not.toBe(true);
        expect((result.structuredContent as { data: unknown[] }).data.length, source).toBeGreaterThan(0);
      }
      await client.close();
    }
  });

  it('runs the SDK script: every product-page prompt prints real data, and nothing is sent', async () => {
    const { code, stdout, stderr } = await runScript({ CONDUIT_API_TOKEN: server.token ?? '' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(`${stdout}${stderr}`).not.toContain(server.token);
    const sections = stdout.split(/^=== /m).slice(1);
    expect(sections.map((s) => s.slice(0, 2))).toEqual(['1.', '2.', '3.', '4.']);
    const [tickets, doubleCharge, refund, fortyEight] = sections as [string, string, string, string];

    expect(Number(/^(\d+) open tickets updated since /m.exec(tickets)?.[1])).toBeGreaterThan(0);
    expect(tickets).toMatch(/^ {2}\[[\w-]+\] \d+$/m); // topic groups
    const urgent = tickets.split('Most urgent:')[1] ?? '';
    expect(urgent.match(/^ {2}[123]\. \[urgent\] .+ \(tk_\w+\)$/gm)).toHaveLength(3);
    expect(urgent.match(/^ {5}customer: (?!unknown)/gm)).toHaveLength(3);

    const hits = [...doubleCharge.matchAll(/^ {2}(cv_\w+) +\w+ +(\S+) {2}/gm)].map((m) => ({ id: m[1], at: m[2] }));
    expect(hits.length).toBeGreaterThan(0);
    const newest = hits.reduce((a, b) => ((b.at ?? '') > (a.at ?? '') ? b : a));
    expect(doubleCharge).toContain(`Full thread of the most recent one, ${newest.id} `);
    expect(doubleCharge.split('Full thread')[1]).toMatch(/^ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}contact: /m);

    expect(refund).toContain('the last 20:');
    expect(refund.split('Draft-reply context')[0]?.match(/^ {2}\d{4}-\d\d-\d\dT\S+Z {2}/gm)).toHaveLength(20);
    expect(refund).toContain('So am I getting a refund for the nights we did not use, or not?');
    expect(refund).toContain('sends nothing');
    expect(refund).toMatch(/Refunds \(\/Policies\/Refunds\)[\s\S]*unused nights on flexible rates are refunded in full/);

    expect(Number(/^(\d+) nodes$/m.exec(fortyEight)?.[1])).toBeGreaterThan(0);
    expect(fortyEight).toMatch(/^ {2}.+ {2}\(\/.+\)$/m); // title  (path)
    const sentences = fortyEight.match(/^ {4}".*"$/gm) ?? [];
    expect(sentences.length).toBeGreaterThan(0);
    for (const sentence of sentences) expect(sentence).toMatch(/48 hours/i);
    expect(fortyEight).toContain('"Guests may cancel free of charge up to 48 hours before arrival."');
  });

  it('exits non-zero on a tool error and on a missing token', async () => {
    // cv_abc belongs to acme-hotels: in the other demo workspace get_conversation answers not_found.
    const failed = await runScript({ CONDUIT_API_TOKEN: server.token ?? '', CONDUIT_WORKSPACE: 'northwind-clinic' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('get_conversation failed: not_found');
    const noToken = await runScript({});
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('CONDUIT_API_TOKEN');
  });
});
