import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { signInInChromium } from '../src/hosts/browser-sign-in.js';
import { CLAUDE_OFFLINE_ENV, claudeBinary, parseMcpList } from '../src/hosts/claude-code.js';
import { startFakeModel, type FakeModel, type PlannedCall } from '../src/hosts/fake-model.js';
import { startOfflineHosts, type OfflineHosts } from '../src/hosts/offline.js';
import { expectTriageRequest } from '../src/hosts/prompt-request.js';
import { expectSuccess, runHost, startHost, type HostRun } from '../src/hosts/run-host.js';
import { recordWorksWith, type WorksWithRow } from '../src/hosts/works-with.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI } from './bridge-helpers.js';

/**
 * Claude Code (the real CLI, pinned) against one `serve --demo` process, configured the way its
 * users do it (`claude mcp add`), with no model API key: `claude mcp list` health-checks every
 * server itself, and a fake model API on loopback makes `claude -p` call tools for real.
 */

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const chromium = useService('chromium', import.meta.url);
const CLAUDE = claudeBinary();
const SEARCH = { workspace_id: 'acme-hotels', query: '48 hours', match: 'phrase' };
const SIGN_IN_LINK = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/mcp\/auth\?[^\s\p{Cc}]+)/u;

let server: ServerProcess;
let model: FakeModel;
let hosts: OfflineHosts;
/** The bridge's config directories: with a stored API token, never signed in, and a first run that signs in. */
const dirs = { stored: '', signedOut: '', firstRun: '' };
let toolCount: number;
let health: Map<string, string>;
const rows = new Map<string, WorksWithRow>();

function claudeEnv(): Record<string, string> {
  return hosts.env({ ...CLAUDE_OFFLINE_ENV, ANTHROPIC_BASE_URL: model.anthropicUrl, ANTHROPIC_API_KEY: 'sk-ant-fake-e2e' });
}

/** `claude …` in the project directory every server was added to (its local scope). */
function claude(args: string[], timeoutMs = 60_000): Promise<HostRun> {
  return runHost(CLAUDE, args, { env: claudeEnv(), cwd: hosts.home, timeoutMs });
}

/** `claude mcp add <name> -e …` for the stdio bridge, with the bridge's own environment. */
async function addBridge(name: string, env: Record<string, string>): Promise<void> {
  const flags = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  expectSuccess(await claude(['mcp', 'add', name, ...flags, '--', process.execPath, BRIDGE_CLI, '--url', server.mcpUrl]), 'claude mcp add');
}

/**
 * `claude -p` with the fake model calling `calls` (tool names without the `mcp__<server>__` prefix);
 * `during` runs while Claude Code does (a person acting on what the model relayed). Returns what
 * the model got back from the last call, and the names of the server's tools it saw last.
 */
async function modelCalls(server: string, calls: PlannedCall[], during?: () => Promise<void>): Promise<{ text: string; offered: string[] }> {
  const prefixed = (tool: string) => `mcp__${server}__${tool}`;
  const last = prefixed(calls.at(-1)!.tool);
  const before = model.outcomes.length;
  model.plan(...calls.map((call) => ({ ...call, tool: prefixed(call.tool), ...(call.meanwhile ? { meanwhile: { ...call.meanwhile, tool: prefixed(call.meanwhile.tool) } } : {}) })));
  const running = startHost(CLAUDE, ['-p', `Call ${last}.`, '--allowedTools', `mcp__${server}`, '--output-format', 'json'], { env: claudeEnv(), cwd: hosts.home, input: '', timeoutMs: 180_000 });
  await during?.();
  const run = expectSuccess(await running.finished, 'claude -p');
  const outcome = model.outcomes.slice(before).find((o) => o.tool === last);
  if (!outcome) {
    const results = model.outcomes.slice(before).map((o) => `${o.tool}: ${o.text}`);
    throw new Error(`the model never got a result of ${last}; requests:\n${model.requests.join('\n')}\nresults:\n${results.slice(-3).join('\n')}\n${run.stdout}\n${run.stderr}`);
  }
  expect(outcome.isError, outcome.text).toBe(false);
  return { text: outcome.text, offered: model.offered().filter((offered) => offered.startsWith(`mcp__${server}__`)).map((name) => name.slice(`mcp__${server}__`.length)) };
}

/**
 * `claude -p "<line>"` for a slash command: what Claude Code answered by itself (its `result`), and
 * the user turns it sent the model (none when it answered without the model).
 */
async function slashCommand(line: string): Promise<{ result: string; sent: string[] }> {
  model.plan();
  const before = model.userTexts.length;
  const run = expectSuccess(await claude(['-p', line, '--output-format', 'json']), `claude -p "${line}"`);
  const { result } = JSON.parse(run.stdout) as { result: string };
  return { result, sent: model.userTexts.slice(before) };
}

/** The first sign-in link a tool result gave the model since `from` (polls the fake model's record). */
async function signInLinkGiven(tool: string, from: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const outcome of model.outcomes.slice(from)) {
      const link = outcome.tool === tool ? SIGN_IN_LINK.exec(outcome.text)?.[1] : undefined;
      if (link) return link;
    }
    if (Date.now() > deadline) throw new Error(`no sign-in link from ${tool} within ${timeoutMs / 1000} s; results: ${model.outcomes.slice(from).map((o) => `${o.tool}: ${o.text}`).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Headless Chromium signs in as the demo user and grants acme-hotels on the page at `url`. */
async function signInInBrowser(url: string): Promise<HostRun> {
  const browser = await signInInChromium(url, { home: hosts.home, chromiumPath: chromium.path!, user: server.demoUser! });
  expect(browser.code, browser.stderr).toBe(0);
  return browser;
}

beforeAll(async () => {
  [server, model, hosts] = await Promise.all([startServer({ demo: true }), startFakeModel(), startOfflineHosts('conduit-claude-home')]);
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }));
  toolCount = (await client.listTools()).tools.length;
  await client.close();

  for (const key of Object.keys(dirs) as Array<keyof typeof dirs>) dirs[key] = mkdtempSync(join(tmpdir(), `conduit-claude-${key}-`));
  // The bridge's stored credential, as `conduit-mcp login --token-stdin` leaves it (file store).
  expectSuccess(
    await runHost(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--token-stdin'], {
      env: hosts.env({ CONDUIT_CONFIG_DIR: dirs.stored, CONDUIT_CREDENTIAL_STORE: 'file' }),
      cwd: hosts.home,
      input: server.token!,
      timeoutMs: 30_000,
    }),
    'conduit-mcp login --token-stdin',
  );

  expectSuccess(await claude(['mcp', 'add', '--transport', 'http', 'conduit-http', server.mcpUrl, '--header', `Authorization: Bearer ${server.token}`]), 'claude mcp add');
  await addBridge('conduit-bridge', { CONDUIT_CONFIG_DIR: dirs.stored, CONDUIT_CREDENTIAL_STORE: 'file' });
  expectSuccess(await claude(['mcp', 'add', '--transport', 'http', 'conduit-oauth', server.mcpUrl]), 'claude mcp add');
  // Never signed in, on a machine where the browser it starts only writes the link down.
  await addBridge('conduit-signin', {
    CONDUIT_CONFIG_DIR: dirs.signedOut,
    CONDUIT_CREDENTIAL_STORE: 'file',
    BROWSER: `${process.execPath} ${join(SRC, 'hosts', 'record-url.mjs')}`,
    RECORD_URL_FILE: join(dirs.signedOut, 'opened-urls.txt'),
  });
  // One health check of every configuration at once, as a user sees it.
  const list = expectSuccess(await claude(['mcp', 'list']), 'claude mcp list');
  health = parseMcpList(list.stdout);
}, 180_000);

afterAll(async () => {
  try {
    // The page shows the whole matrix: a run that skipped rows (no Chromium here) leaves it alone.
    const expected = ['http-header', 'bridge-stored', 'bridge-signed-out', 'first-run', 'http-no-header', 'http-oauth', 'prompt', 'prompt-phrase', 'prompt-missing', 'prompt-workspace', 'prompt-signed-out'];
    if (expected.every((key) => rows.has(key))) {
      recordWorksWith({ id: 'claude-code', host: 'Claude Code', packageName: '@anthropic-ai/claude-code', test: 'hosts-claude-code.test.ts', rows: expected.map((key) => rows.get(key)!) });
    }
    expect(hosts.attempts, 'Claude Code tried to reach the network').toEqual([]);
  } finally {
    await Promise.all([model?.close(), hosts?.close()]);
    for (const dir of Object.values(dirs)) if (dir) rmSync(dir, { recursive: true, force: true });
    const stopping = Date.now();
    const code = await server?.stop();
    expect(code, `exit after ${Date.now() - stopping} ms:\n${server?.output().slice(-3000)}`).toBe(0);
    server?.cleanup();
  }
});

// Each test runs Claude Code once or twice (≈ 5 s each here); a first run's sign-in in the browser takes longer.
describe('Claude Code', { timeout: 240_000 }, () => {
  it('HTTP with a bearer header: Connected, every tool offered to the model, and a tool call answered', async () => {
    expect(health.get('conduit-http'), [...health].join('\n')).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-http', [{ tool: 'search_knowledge_nodes', args: SEARCH }]);
    expect(text).toContain('48 hours');
    expect(offered).toHaveLength(toolCount);
    rows.set('http-header', { configuration: '`claude mcp add --transport http conduit <url> --header "Authorization: Bearer capi_…"`', result: `✔ Connected; ${offered.length} tools; a tool call answered` });
  });

  it('the stdio bridge with a stored credential: Connected, and a tool call answered', async () => {
    expect(health.get('conduit-bridge'), [...health].join('\n')).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-bridge', [{ tool: 'search_knowledge_nodes', args: SEARCH }]);
    expect(text).toContain('48 hours');
    expect(offered).toHaveLength(toolCount);
    rows.set('bridge-stored', { configuration: '`claude mcp add conduit -- npx conduit-mcp --url <url>` after `conduit-mcp login --token-stdin`', result: `✔ Connected; ${offered.length} tools; a tool call answered` });
  });

  it('the stdio bridge never signed in: Connected, and conduit_sign_in gives the model the sign-in link', async () => {
    expect(health.get('conduit-signin'), [...health].join('\n')).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-signin', [{ tool: 'conduit_sign_in', args: {} }]);
    expect(offered).toEqual(['conduit_sign_in']);
    const link = SIGN_IN_LINK.exec(text)?.[1];
    expect(link, text).toBeDefined();
    expect(new URL(link!).searchParams.get('resource')).toBe(server.mcpUrl);
    rows.set('bridge-signed-out', { configuration: '`claude mcp add conduit -- npx conduit-mcp --url <url>`, never signed in', result: '✔ Connected; `conduit_sign_in` gives the sign-in link' });
  });

  it('HTTP without a header: "Needs authentication" (it found the OAuth metadata)', () => {
    expect(health.get('conduit-oauth'), [...health].join('\n')).toBe('Needs authentication');
    rows.set('http-no-header', { configuration: '`claude mcp add --transport http conduit <url>` (no header), before signing in', result: '! Needs authentication' });
  });

  it.skipIf(!chromium.available)('a first run of the bridge: conduit_sign_in gives the link, and after signing in the tools appear in the same session', async () => {
    // One `claude -p` session: the model sees only conduit_sign_in, calls it and relays the link;
    // the person opens it (headless Chromium signs in and consents); the model keeps asking until
    // the bridge announces the real tools (list_changed), then calls one. No restart.
    await addBridge('conduit-first', {
      CONDUIT_CONFIG_DIR: dirs.firstRun,
      CONDUIT_CREDENTIAL_STORE: 'file',
      // Where the bridge would open a browser itself, it only writes the link down.
      BROWSER: `${process.execPath} ${join(SRC, 'hosts', 'record-url.mjs')}`,
      RECORD_URL_FILE: join(dirs.firstRun, 'opened-urls.txt'),
    });
    const from = model.outcomes.length;
    const { text, offered } = await modelCalls(
      'conduit-first',
      [{ tool: 'search_knowledge_nodes', args: SEARCH, meanwhile: { tool: 'conduit_sign_in', args: {}, pauseMs: 2_000, times: 45 } }],
      async () => void (await signInInBrowser(await signInLinkGiven('mcp__conduit-first__conduit_sign_in', from, 60_000))),
    );
    expect(text).toContain('48 hours');
    // Claude Code 2.1.332 adds the tools it hears of from list_changed and keeps offering
    // conduit_sign_in for the rest of the session (the bridge no longer lists it).
    expect(offered.filter((name) => name !== 'conduit_sign_in')).toHaveLength(toolCount);
    expect(readdirSync(join(dirs.firstRun, 'credentials'))).toHaveLength(1);
    rows.set('first-run', {
      configuration: 'the same, never signed in, then signing in with the link `conduit_sign_in` gave',
      result: `✔ ${toolCount} tools appear in the same session (list_changed, no restart); a tool call answered`,
    });
  });

  it.skipIf(!chromium.available)('HTTP with OAuth: `claude mcp login` signs in through the browser, then Connected and a tool call answered', async () => {
    // `claude mcp login` needs a terminal: `script` gives it one. It prints the sign-in URL, which
    // headless Chromium opens, signs in on and consents to; the redirect reaches Claude Code's listener.
    const login = startHost('script', ['-qec', `'${CLAUDE}' mcp login conduit-oauth`, '/dev/null'], { env: claudeEnv(), cwd: hosts.home, timeoutMs: 120_000 });
    const browser = await signInInBrowser((await login.waitFor(SIGN_IN_LINK, 60_000))[1]!);
    expect(browser.stdout).toContain('Authentication successful');
    const done = await login.finished;
    expect(done.code, login.output()).toBe(0);
    expect(login.output()).toContain('Authenticated with "conduit-oauth"');

    const list = expectSuccess(await claude(['mcp', 'list']), 'claude mcp list');
    expect(parseMcpList(list.stdout).get('conduit-oauth'), list.stdout).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-oauth', [{ tool: 'search_knowledge_nodes', args: SEARCH }]);
    expect(text).toContain('48 hours');
    rows.set('http-oauth', { configuration: 'the same, then `claude mcp login conduit` (OAuth sign-in and consent in the browser)', result: `✔ Connected; ${offered.length} tools; a tool call answered` });
  });
  it('prompts as slash commands: `/mcp__<server>__triage_tickets acme-hotels 7d` sends what prompts/get returned as the user\'s turn, over HTTP and through the bridge', async () => {
    for (const name of ['conduit-http', 'conduit-bridge']) {
      const startedAt = Date.now();
      const { result, sent } = await slashCommand(`/mcp__${name}__triage_tickets acme-hotels 7d`);
      expect(sent, 'one user turn sent to the model').toHaveLength(1);
      expectTriageRequest(sent[0]!, startedAt);
      expect(result).toBe('Done.');
    }
    rows.set('prompt', {
      configuration: 'prompts (HTTP, or the bridge signed in): `/mcp__conduit__triage_tickets acme-hotels 7d`',
      result: '✔ the prompt\'s request (workspace checked, `updated_after` 7 days back, the tools to call) sent to the model as the user\'s message',
    });
  });

  it('a phrase of several words is written with + between them (Claude Code splits arguments on spaces)', async () => {
    const { sent } = await slashCommand('/mcp__conduit-http__find_conversations acme-hotels double+charge');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('Search the "acme-hotels" workspace for any conversation where the contact mentioned "double charge" in the last 7 days');
    rows.set('prompt-phrase', {
      configuration: '`/mcp__conduit__find_conversations acme-hotels double+charge`',
      result: '✔ searches for the phrase "double charge" (the `window` left out: its default, 7 days)',
    });
  });

  it('a prompt without its required argument: Claude Code names it and the usage, and asks the model nothing', async () => {
    const { result, sent } = await slashCommand('/mcp__conduit-http__triage_tickets');
    expect(result).toBe('Error: Missing required argument: workspace. Usage: /mcp__conduit-http__triage_tickets workspace window');
    expect(sent).toEqual([]);
    rows.set('prompt-missing', { configuration: '`/mcp__conduit__triage_tickets` (no workspace)', result: `shows \`${result.replace('conduit-http', 'conduit')}\`; nothing sent to the model` });
  });

  it('a prompt for a workspace the credential cannot use: Claude Code shows the server\'s error with the ones it can, and asks the model nothing', async () => {
    const { result, sent } = await slashCommand('/mcp__conduit-http__triage_tickets no-such-workspace');
    expect(result).toBe('ProtocolError: Invalid argument "workspace" of prompt triage_tickets: "no-such-workspace" is not a workspace this credential can use; it can use: acme-hotels, northwind-clinic');
    expect(sent).toEqual([]);
    rows.set('prompt-workspace', { configuration: '`/mcp__conduit__triage_tickets no-such-workspace`', result: `shows \`${result}\`; nothing sent to the model` });
  });

  it('the bridge never signed in has no prompts: the command is unknown and reaches the model as plain text', async () => {
    const line = '/mcp__conduit-signin__triage_tickets acme-hotels 7d';
    const { sent } = await slashCommand(line);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(line);
    expect(sent[0]).toContain('no command with that name is available');
    expect(sent[0]).not.toContain('updated_after');
    rows.set('prompt-signed-out', {
      configuration: 'prompts through the bridge never signed in',
      result: 'not offered (the bridge serves only `conduit_sign_in` until signed in); Claude Code passes the command to the model as plain text, saying it is unknown',
    });
  });
});
