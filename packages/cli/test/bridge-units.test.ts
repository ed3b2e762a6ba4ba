import { describe, expect, it } from 'vitest';
import { isBridgeInvocation } from '../src/bridge/argv.js';
import { globToRegExp, toolNameFilter } from '../src/bridge/glob.js';
import { retryAfterMs } from '../src/bridge/http.js';
import { OptionError, parseHeader, resolveBridgeOptions } from '../src/bridge/options.js';
import { ToolPolicy, type ListedTool } from '../src/bridge/policy.js';
import { parseSse } from '../src/sse.js';
import { singleFlight } from '../src/bridge/token-source.js';
import { loginCommand } from '../src/auth/login-command.js';
import { canOpenBrowser } from '../src/auth/browser.js';
import { START_WAIT_MS } from '../src/bridge/sign-in-flow.js';
import { signInAnswer } from '../src/bridge/sign-in-tool.js';

async function events(chunks: string[]) {
  async function* source() {
    for (const chunk of chunks) yield new TextEncoder().encode(chunk);
  }
  const out = [];
  for await (const event of parseSse(source())) out.push(event);
  return out;
}

describe('SSE parsing', () => {
  it('splits events across chunk boundaries, joins data lines and honours CRLF, CR and comments', async () => {
    const parsed = await events(['id: 1\r\ndata: {"a":', '1}\r', '\n\r\n: keep-alive\n\nevent: message\ndata: x\ndata: y\r\rdata:z\n\n']);
    expect(parsed).toEqual([
      { event: 'message', data: '{"a":1}', id: '1' },
      { event: 'message', data: 'x\ny', id: '1' },
      { event: 'message', data: 'z', id: '1' },
    ]);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: café\n\n');
    async function* source() {
      yield bytes.slice(0, 10);
      yield bytes.slice(10);
    }
    const out = [];
    for await (const event of parseSse(source())) out.push(event.data);
    expect(out).toEqual(['café']);
  });
});

describe('options', () => {
  it('takes --url, then CONDUIT_MCP_URL, then the default', () => {
    expect(resolveBridgeOptions({}, {}).url.href).toBe('https://api.conduit.ai/v1/mcp');
    expect(resolveBridgeOptions({}, { CONDUIT_MCP_URL: 'http://127.0.0.1:8787/v1/mcp' }).url.href).toBe('http://127.0.0.1:8787/v1/mcp');
    expect(resolveBridgeOptions({ url: 'https://x.test/v1/mcp' }, { CONDUIT_MCP_URL: 'http://y.test' }).url.href).toBe('https://x.test/v1/mcp');
    expect(() => resolveBridgeOptions({ url: 'not a url' }, {})).toThrow(OptionError);
  });

  it('parses headers and refuses the ones the bridge manages', () => {
    expect(parseHeader('X-Team:  support ')).toEqual(['x-team', 'support']);
    expect(parseHeader('Authorization: Bearer a:b')).toEqual(['authorization', 'Bearer a:b']);
    expect(() => parseHeader('no colon')).toThrow(OptionError);
    expect(() => parseHeader('MCP-Protocol-Version: 2020-01-01')).toThrow(/bridge manages it/);
  });

  it('accepts globs repeated or comma-separated', () => {
    expect(resolveBridgeOptions({ tools: ['list_*,get_*', 'search_*'] }, {}).tools).toEqual(['list_*', 'get_*', 'search_*']);
  });
});

describe('globs', () => {
  it('matches * and ? and escapes everything else', () => {
    expect(globToRegExp('send_*').test('send_contact_message')).toBe(true);
    expect(globToRegExp('get_?all').test('get_call')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    const allowed = toolNameFilter(['list_*', 'get_*'], ['*_agent*']);
    expect(['list_contacts', 'get_agent', 'send_x'].filter(allowed)).toEqual(['list_contacts']);
    expect(toolNameFilter([], [])('anything')).toBe(true);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('tool policy', () => {
  const tools: ListedTool[] = [
    { name: 'list_workspaces', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true } },
    {
      name: 'get_contact',
      inputSchema: { type: 'object', properties: { workspace_id: { type: 'string', description: 'Workspace.' }, contact_id: { type: 'string' } }, required: ['workspace_id', 'contact_id'] },
      annotations: { readOnlyHint: true },
    },
    { name: 'send_contact_message', inputSchema: { type: 'object', properties: { workspace_id: { type: 'string' } }, required: ['workspace_id'] }, annotations: { readOnlyHint: false } },
    { name: 'mystery', inputSchema: { type: 'object' } },
  ];

  it('derives one stable key per request id, a new one per id and per client session', () => {
    const policy = new ToolPolicy({ readOnly: false, include: [], exclude: [] });
    const first = policy.idempotencyKey(1);
    expect(policy.idempotencyKey(1)).toBe(first);
    expect(policy.idempotencyKey('1')).not.toBe(first);
    expect(policy.idempotencyKey(2)).not.toBe(first);
    policy.newSession();
    expect(policy.idempotencyKey(1)).not.toBe(first);
  });

  it('keys writes and unknown tools, never reads or calls that carry their own key', () => {
    const policy = new ToolPolicy({ readOnly: false, include: [], exclude: [] });
    policy.learn(tools, true);
    const decide = (name: string, args: Record<string, unknown> = {}) => policy.decideCall(7, name, args);
    expect(decide('get_contact')).toMatchObject({ idempotencyKey: undefined, read: true });
    expect(decide('send_contact_message')).toMatchObject({ idempotencyKey: policy.idempotencyKey(7), read: false });
    expect(decide('mystery')).toMatchObject({ idempotencyKey: policy.idempotencyKey(7), read: false });
    expect(decide('send_contact_message', { idempotency_key: 'mine' })).toMatchObject({ idempotencyKey: undefined });
  });

  it('read-only: lists and allows only tools annotated readOnlyHint, refuses the rest', () => {
    const policy = new ToolPolicy({ readOnly: true, include: [], exclude: [] });
    expect(policy.needsCatalog).toBe(true);
    policy.learn(tools, true);
    expect(policy.needsCatalog).toBe(false);
    expect((policy.rewriteList({ tools }).tools as ListedTool[]).map((t) => t.name)).toEqual(['list_workspaces', 'get_contact']);
    expect(policy.decideCall(1, 'send_contact_message', {})).toHaveProperty('refuse');
    expect(policy.decideCall(1, 'mystery', {})).toHaveProperty('refuse');
    expect(policy.decideCall(1, 'get_contact', {})).not.toHaveProperty('refuse');
    policy.forget();
    expect(policy.needsCatalog).toBe(true);
  });

  it('workspace: makes workspace_id optional in the list and injects it only where the tool takes one', () => {
    const policy = new ToolPolicy({ workspace: 'acme-hotels', readOnly: false, include: [], exclude: [] });
    policy.learn(tools, true);
    const listed = policy.rewriteList({ tools }).tools as ListedTool[];
    expect(listed[1]!.inputSchema!.required).toEqual(['contact_id']);
    expect(listed[1]!.inputSchema!.properties!.workspace_id!.description).toBe('Workspace. Optional: defaults to "acme-hotels" (pinned by conduit-mcp --workspace).');
    expect(tools[1]!.inputSchema!.required).toEqual(['workspace_id', 'contact_id']); // the input is not mutated
    expect(policy.decideCall(1, 'get_contact', { contact_id: 'ct_1' })).toMatchObject({ arguments: { contact_id: 'ct_1', workspace_id: 'acme-hotels' }, changed: true });
    expect(policy.decideCall(1, 'get_contact', { workspace_id: 'other' })).toMatchObject({ arguments: { workspace_id: 'other' }, changed: false });
    expect(policy.decideCall(1, 'list_workspaces', {})).toMatchObject({ arguments: {}, changed: false });
  });
});

describe('token sources', () => {
  it('refreshes once for concurrent 401s and not at all for a token already replaced', async () => {
    let calls = 0;
    let token = 'a';
    const source = singleFlight({
      token: async () => token,
      refresh: async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
        token = `t${calls}`;
        return token;
      },
    });
    expect(await source.token()).toBe('a');
    expect(await Promise.all([source.refresh('a'), source.refresh('a')])).toEqual(['t1', 't1']);
    expect(await source.refresh('a')).toBe('t1');
    expect(calls).toBe(1);
  });

  it('names the login command as the user types it: through npx when started by npx, --url unless the hosted endpoint', () => {
    expect(loginCommand('https://api.conduit.ai/v1/mcp', { npm_command: 'exec' })).toBe('npx conduit-mcp login');
    expect(loginCommand('http://127.0.0.1:8787/v1/mcp', { npm_command: 'exec' })).toBe('npx conduit-mcp login --url http://127.0.0.1:8787/v1/mcp');
    expect(loginCommand('https://api.conduit.ai/v1/mcp', {})).toBe('conduit-mcp login');
    expect(loginCommand('http://127.0.0.1:8787/v1/mcp', {})).toBe('conduit-mcp login --url http://127.0.0.1:8787/v1/mcp');
  });
});

describe('starting the sign-in by itself', () => {
  it('only where a browser would reach the user: BROWSER, a desktop not over SSH, an X11 or Wayland display', () => {
    expect(canOpenBrowser({ BROWSER: 'firefox' }, 'linux')).toBe(true);
    expect(canOpenBrowser({}, 'linux')).toBe(false);
    expect(canOpenBrowser({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'freebsd')).toBe(true);
    expect(canOpenBrowser({}, 'darwin')).toBe(true);
    expect(canOpenBrowser({ SSH_CONNECTION: '10.0.0.1 50000 10.0.0.2 22' }, 'darwin')).toBe(false);
    expect(canOpenBrowser({ SSH_TTY: '/dev/pts/1' }, 'win32')).toBe(false);
    expect(canOpenBrowser({ SSH_TTY: '/dev/pts/1', BROWSER: 'w3m' }, 'darwin')).toBe(true);
  });
});

describe('conduit_sign_in without a link', () => {
  // The one answer without a link: another live process kept the login lock for the whole wait
  // without publishing its page. It must say what is going on and what to do next.
  it('names the process, how long it waited, and the next steps (call again, or a terminal login)', () => {
    const url = 'http://127.0.0.1:8787/v1/mcp';
    const login = `npx conduit-mcp login --url ${url}`;
    const { text, isError } = signInAnswer({ opened: false, owner: 'other', pid: 4242, waitedMs: START_WAIT_MS }, url, login, false);
    expect(isError).toBe(false);
    expect(text).toMatch(new RegExp(`^Another conduit-mcp process \\(pid 4242\\) began signing in to ${url} and has not produced a sign-in page within ${START_WAIT_MS / 1000} s`));
    expect(text).toContain('Call conduit_sign_in again in a minute');
    expect(text).toContain(`run \`${login}\` in a terminal: it waits for that process to finish or give up, then signs you in.`);
  });

  it('a sign-in another process completed while this one waited: the tools are on their way', () => {
    const { text } = signInAnswer({ opened: false, owner: 'other', signedIn: true }, 'http://127.0.0.1:8787/v1/mcp', 'conduit-mcp login', false);
    expect(text).toBe("Another conduit-mcp process just completed a sign-in to http://127.0.0.1:8787/v1/mcp. Conduit's tools appear here by themselves within a few seconds; nothing needs restarting.");
  });
});

describe('start-up dispatch', () => {
  it('takes the bridge fast path only for bridge options and their values', () => {
    expect(isBridgeInvocation([])).toBe(true);
    expect(isBridgeInvocation(['--url', 'http://127.0.0.1:8787/v1/mcp', '--read-only', '--debug'])).toBe(true);
    expect(isBridgeInvocation(['--url=http://x/v1/mcp', '--workspace', 'acme-hotels'])).toBe(true);
    expect(isBridgeInvocation(['--tools', 'list_*', 'get_*', '--exclude-tools', 'status', '--header', 'X-A: 1'])).toBe(true);
  });

  it('sends commands, help, version, unknown options and stray words to the full program', () => {
    for (const argv of [['login'], ['status', '--url', 'x'], ['--url', 'x', 'doctor'], ['--help'], ['-V'], ['--verbose'], ['--debug=1'], ['--read-only', 'extra']]) {
      expect(isBridgeInvocation(argv), argv.join(' ')).toBe(false);
    }
  });
});
