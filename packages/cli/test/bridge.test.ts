import {
  ElicitRequestSchema,
  ListResourcesResultSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectBridge, startPeer, type BridgeClient, type Peer } from './bridge-harness.js';
import { freePort } from '../../../scripts/free-port.mjs';

// The MCP SDK client → stdio → the bridge process → HTTP → a real SDK server with sessions.
const TOKEN = 'peer-token-1';
let peer: Peer;
const open: BridgeClient[] = [];

const initializedCount = async () => (await peer.state()).requests.filter((r) => r.method === 'notifications/initialized').length;

async function bridge(args: string[] = [], env: Record<string, string | undefined> = {}): Promise<BridgeClient> {
  const before = await initializedCount();
  const connected = await connectBridge(['--url', peer.mcpUrl, ...args], { CONDUIT_API_TOKEN: TOKEN, ...env });
  open.push(connected);
  // The SDK client does not wait for its `initialized` notification to be delivered; tests that
  // change the peer's behaviour next must not catch that notification instead of their call.
  // (expect.poll's default of 1 s is too short for a stdio hop and an HTTP request on a busy machine.)
  await expect.poll(initializedCount, { timeout: 15_000, interval: 50 }).toBe(before + 1);
  return connected;
}

function text(result: Awaited<ReturnType<BridgeClient['client']['callTool']>>): string {
  return (result.content as Array<{ text: string }>)[0]!.text;
}

beforeAll(async () => {
  // Restarted on the same port mid-test: a port from below the ephemeral range, which no outgoing
  // connection can take while the peer is down (see freePort).
  peer = await startPeer(await freePort());
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  await peer.admin('tokens', { accept: [TOKEN] });
});
afterAll(async () => {
  await peer?.stop();
});

describe('the relay', { timeout: 30_000 }, () => {
  it('forwards the client\'s own initialize (no probe, clientInfo untouched) and then sends the session and protocol version', async () => {
    const before = (await peer.state()).requests.length;
    const { client } = await bridge();
    await client.listTools();
    const requests = (await peer.state()).requests.slice(before);
    expect(requests.map((r) => r.method)).toEqual(['initialize', 'notifications/initialized', 'tools/list']);
    expect(requests[0]!.clientInfo).toEqual({ name: 'bridge-test', version: '9.9.9' });
    expect(requests[0]!.protocolVersion).toBeNull();
    expect(requests[0]!.session).toBeNull();
    const negotiated = client.getServerCapabilities() && requests[1]!.protocolVersion;
    expect(negotiated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(requests[2]!.protocolVersion).toBe(negotiated);
    expect(requests[2]!.session).toEqual(requests[1]!.session);
    expect(client.getServerVersion()).toEqual({ name: 'bridge-peer', version: '1.0.0' });
  });

  it('lists tools and relays calls, tool errors and protocol errors', async () => {
    const { client } = await bridge();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['list_workspaces', 'get_thing', 'slow_count', 'ask_name', 'send_note']);
    const thing = await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'wp_1', thing_id: 't1' } });
    expect(thing.structuredContent).toEqual({ workspace_id: 'wp_1', thing_id: 't1' });
    const invalid = await client.callTool({ name: 'slow_count', arguments: { n: 'many' } });
    expect(invalid.isError).toBe(true);
    await expect(client.request({ method: 'resources/list', params: {} }, ListResourcesResultSchema)).rejects.toBeInstanceOf(McpError);
  });

  it('relays progress notifications from an SSE response as they come', async () => {
    const { client } = await bridge();
    const progress: number[] = [];
    const result = await client.callTool({ name: 'slow_count', arguments: { n: 4 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(text(result)).toBe('counted to 4');
    // The SDK client runs notification handlers a tick later than it settles the call, so a
    // progress notification read together with the answer can be dropped on the client side;
    // bridge-process.test.ts checks on raw stdout that all of them are relayed, before the answer.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([1, 2, 3, 4].slice(0, progress.length));
  });

  it('relays a server-to-client request (elicitation) and the client\'s answer', async () => {
    const { client } = await bridge();
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      expect(request.params.message).toBe('Your name?');
      return { action: 'accept', content: { name: 'Ada' } };
    });
    expect(text(await client.callTool({ name: 'ask_name', arguments: {} }))).toBe('hello Ada (accept)');
  });

  it('relays server notifications sent on the GET stream', async () => {
    const { client } = await bridge();
    const received: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void received.push(n.params.data));
    // The bridge opens the GET stream right after initialized; notify until the stream carries it.
    await expect
      .poll(async () => (await peer.admin('notify', { data: 'hello from the server' }), received.length), { timeout: 15_000, interval: 100 })
      .toBeGreaterThan(0);
    expect(received[0]).toBe('hello from the server');
  });
});

describe('sessions and failures', { timeout: 30_000 }, () => {
  it('re-initializes transparently (replaying the client\'s initialize) when the server forgets the session, and retries once', async () => {
    const { client } = await bridge();
    await client.listTools();
    await peer.admin('drop-sessions');
    const before = (await peer.state()).requests.length;
    const thing = await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'w', thing_id: 'after-drop' } });
    expect(thing.structuredContent).toEqual({ workspace_id: 'w', thing_id: 'after-drop' });
    const requests = (await peer.state()).requests.slice(before);
    expect(requests.map((r) => r.method)).toEqual(['tools/call', 'initialize', 'notifications/initialized', 'tools/call']);
    expect(requests[1]!.clientInfo).toEqual({ name: 'bridge-test', version: '9.9.9' });
    expect(requests[3]!.session).not.toEqual(requests[0]!.session);
  });

  it('survives a server restart mid-session: errors while it is down, then re-initializes when it is back', async () => {
    const { client } = await bridge();
    await client.listTools();
    const port = peer.port;
    await peer.stop();
    const down = await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'w', thing_id: 'x' } }).catch((error: unknown) => error);
    expect(down).toBeInstanceOf(McpError);
    expect((down as McpError).code).toBe(-32011);
    expect((down as McpError).message).toMatch(/Cannot reach the Conduit MCP server \(ECONNREFUSED\)/);
    peer = await startPeer(port);
    const thing = await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'w', thing_id: 'back' } });
    expect(thing.structuredContent).toEqual({ workspace_id: 'w', thing_id: 'back' });
    expect((await peer.state()).requests.map((r) => r.method)).toEqual(['tools/call', 'initialize', 'notifications/initialized', 'tools/call']);
  });

  it('a rejected CONDUIT_API_TOKEN: says so and what to do (a new token, or login), and serves conduit_sign_in', async () => {
    const { client } = await bridge();
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await peer.admin('tokens', { accept: ['some-other-token'] });
    const result = await client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(
      `sign_in_required: The server rejected the API token in CONDUIT_API_TOKEN (expired, revoked, or made for another server). ` +
        `Put a new API token in CONDUIT_API_TOKEN where your MCP client starts conduit-mcp and restart it there, or remove CONDUIT_API_TOKEN and run \`conduit-mcp login --url ${peer.mcpUrl}\` in a terminal. ` +
        'list_workspaces was not sent to the server.',
    );
    expect(text(result)).not.toContain('refreshed');
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['conduit_sign_in']);
    const explained = await client.callTool({ name: 'conduit_sign_in', arguments: {} });
    expect(text(explained)).toContain('Signing in here cannot help: The server rejected the API token in CONDUIT_API_TOKEN');
  });

  it('waits out 429 Retry-After for reads, and hands writes the rate-limit error without sending them', async () => {
    const { client } = await bridge();
    await peer.admin('rate-limit', { count: 1, retryAfter: 1 });
    const before = (await peer.state()).requests.length;
    const thing = await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'w', thing_id: 'limited' } });
    expect(thing.structuredContent).toEqual({ workspace_id: 'w', thing_id: 'limited' });
    // The client never listed tools: on the 429 the bridge looks get_thing up (a read), waits, retries.
    expect((await peer.state()).requests.slice(before).map((r) => r.tool ?? r.method)).toEqual(['get_thing', 'tools/list', 'get_thing']);

    await peer.admin('rate-limit', { count: 1, retryAfter: 1 });
    const deliveries = (await peer.state()).deliveries.length;
    const error = await client.callTool({ name: 'send_note', arguments: { workspace_id: 'w', body: 'limited' } }).catch((e: unknown) => e);
    expect((error as McpError).code).toBe(-32012);
    expect((error as McpError).message).toContain('retry after 1 s');
    expect((await peer.state()).deliveries.length).toBe(deliveries);
  });

  it('gives every write call an idempotency key, so a retry after a dropped connection delivers once', async () => {
    const { client } = await bridge();
    await client.listTools();
    await peer.admin('drop-after-call', { tool: 'send_note' });
    const before = await peer.state();
    const result = await client.callTool({ name: 'send_note', arguments: { workspace_id: 'w', body: 'exactly once' } });
    expect(result.isError).toBeFalsy();
    const after = await peer.state();
    const calls = after.requests.slice(before.requests.length).filter((r) => r.tool === 'send_note');
    expect(calls).toHaveLength(2); // the dropped one and the bridge's retry
    expect(calls[0]!.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(calls[1]!.idempotencyKey).toBe(calls[0]!.idempotencyKey);
    expect(after.deliveries.filter((d) => d.body === 'exactly once')).toHaveLength(1);
    expect(after.replays).toBe(before.replays + 1);
    expect(result.structuredContent).toMatchObject({ body: 'exactly once', key: calls[0]!.idempotencyKey });
  });

  it('gives different write requests different keys and leaves a key the client chose alone', async () => {
    const { client } = await bridge();
    await client.listTools(); // until then every tool counts as a write, reads included
    const before = (await peer.state()).requests.length;
    await client.callTool({ name: 'send_note', arguments: { workspace_id: 'w', body: 'one' } });
    await client.callTool({ name: 'send_note', arguments: { workspace_id: 'w', body: 'two' } });
    await client.callTool({ name: 'send_note', arguments: { workspace_id: 'w', body: 'mine', idempotency_key: 'client-key-1' } });
    await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'w', thing_id: 'read' } });
    const calls = (await peer.state()).requests.slice(before).filter((r) => r.method === 'tools/call');
    expect(new Set(calls.slice(0, 2).map((c) => c.idempotencyKey)).size).toBe(2);
    expect(calls[2]!.idempotencyKey).toBeNull();
    expect(calls[2]!.arguments).toMatchObject({ idempotency_key: 'client-key-1' });
    expect(calls[3]!.idempotencyKey).toBeNull();
  });
});

describe('policies', { timeout: 30_000 }, () => {
  it('--read-only hides write tools and refuses them without sending anything', async () => {
    const { client } = await bridge(['--read-only']);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).not.toContain('send_note');
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    const before = (await peer.state()).requests.length;
    const refused = await client.callTool({ name: 'send_note', arguments: { workspace_id: 'w', body: 'nope' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^forbidden: send_note is not a read-only tool, and this bridge runs with --read-only/);
    expect((await peer.state()).requests.slice(before).some((r) => r.tool === 'send_note')).toBe(false);
  });

  it('--read-only refuses writes even when the client never listed the tools', async () => {
    const { client } = await bridge(['--read-only']);
    const refused = await client.callTool({ name: 'send_note', arguments: { workspace_id: 'w', body: 'nope' } });
    expect(refused.isError).toBe(true);
    const read = await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'w', thing_id: 'ok' } });
    expect(read.structuredContent).toEqual({ workspace_id: 'w', thing_id: 'ok' });
  });

  it('--workspace makes workspace_id optional in schemas and injects it where a call lacks it', async () => {
    const { client } = await bridge(['--workspace', 'acme-hotels']);
    const { tools } = await client.listTools();
    const getThing = tools.find((t) => t.name === 'get_thing')!;
    expect(getThing.inputSchema.required).toEqual(['thing_id']);
    expect((getThing.inputSchema.properties as Record<string, { description: string }>).workspace_id!.description).toContain('defaults to "acme-hotels"');
    const injected = await client.callTool({ name: 'get_thing', arguments: { thing_id: 't' } });
    expect(injected.structuredContent).toEqual({ workspace_id: 'acme-hotels', thing_id: 't' });
    const explicit = await client.callTool({ name: 'get_thing', arguments: { workspace_id: 'other', thing_id: 't' } });
    expect(explicit.structuredContent).toEqual({ workspace_id: 'other', thing_id: 't' });
    const none = await client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(none.isError).toBeFalsy();
  });

  it('--tools and --exclude-tools filter by glob, in the list and at call time', async () => {
    const { client } = await bridge(['--tools', 'get_*,list_*', 'send_*', '--exclude-tools', 'list_*']);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['get_thing', 'send_note']);
    const refused = await client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(text(refused)).toMatch(/^forbidden: list_workspaces is not enabled in this bridge/);
  });
});

describe('credentials', { timeout: 30_000 }, () => {
  it('with no credential: answers initialize at once with listChanged and sign-in instructions, and lists conduit_sign_in only', async () => {
    const { client } = await connectBridge(['--url', peer.mcpUrl], { CONDUIT_API_TOKEN: undefined, BROWSER: '/bin/false' }).then((b) => (open.push(b), b));
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect(client.getInstructions()).toContain(`Not signed in to Conduit (${peer.mcpUrl}) yet. Call the conduit_sign_in tool`);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['conduit_sign_in']);
    expect(tools[0]!.annotations?.readOnlyHint).toBe(true);
  });

  it('uses an Authorization header given with --header instead of a stored credential, and says so when the server rejects it', async () => {
    const { client } = await bridge(['--header', `Authorization: Bearer ${TOKEN}`, '--header', 'X-Trace: abc'], { CONDUIT_API_TOKEN: undefined });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await peer.admin('tokens', { accept: ['some-other-token'] });
    const result = await client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(text(result)).toContain('The server rejected the Authorization header given with --header (HTTP 401). Correct the --header value');
  });
});
