import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, spawnBridge, startPeer, type Peer, type RawBridge } from './bridge-harness.js';

// The bridge process seen from outside: what it writes to stdout and stderr, and how it ends.
const TOKEN = 'peer-token-1';
let peer: Peer;

beforeAll(async () => {
  peer = await startPeer();
});
afterAll(async () => {
  await peer?.stop();
});

async function initialized(args: string[] = []): Promise<RawBridge> {
  const bridge = spawnBridge(['--url', peer.mcpUrl, ...args], { CONDUIT_API_TOKEN: TOKEN });
  const answer = await bridge.request(INITIALIZE);
  expect(answer.result).toBeDefined();
  bridge.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return bridge;
}

describe('process lifecycle', { timeout: 30_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: ends the session with DELETE and exits 0`, async () => {
      const bridge = await initialized();
      await bridge.request({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      const deletes = (await peer.state()).deletes;
      bridge.child.kill(signal);
      expect(await bridge.exited).toEqual({ code: 0, signal: null });
      expect((await peer.state()).deletes).toBe(deletes + 1);
    });
  }

  it('stdin EOF (the host went away): answers what is in flight, ends the session and exits 0', async () => {
    const bridge = await initialized();
    const deletes = (await peer.state()).deletes;
    bridge.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow_count', arguments: { n: 3 } } });
    bridge.child.stdin.end();
    expect(await bridge.exited).toEqual({ code: 0, signal: null });
    expect(bridge.messages.find((m) => m.id === 7)?.result).toMatchObject({ content: [{ type: 'text', text: 'counted to 3' }] });
    expect((await peer.state()).deletes).toBe(deletes + 1);
  });
});

describe('stdout and stderr', { timeout: 30_000 }, () => {
  it('writes only JSON-RPC to stdout, even with --debug, and never logs the token', async () => {
    const bridge = await initialized(['--debug']);
    await bridge.request({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await bridge.request({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow_count', arguments: { n: 4 }, _meta: { progressToken: 'p' } } });
    await bridge.request({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'send_note', arguments: { workspace_id: 'w', body: 'b' } } });
    bridge.child.stdin.end();
    await bridge.exited;
    // The harness parses every stdout line as JSON; here each must also be JSON-RPC 2.0.
    expect(bridge.messages.length).toBeGreaterThanOrEqual(7);
    for (const message of bridge.messages) expect(message.jsonrpc).toBe('2.0');
    // Every progress notification, in order, and all of them before the answer they belong to.
    const progressAndAnswer = bridge.messages.filter((m) => m.method === 'notifications/progress' || m.id === 2);
    expect(progressAndAnswer.map((m) => (m.id === 2 ? 'answer' : (m.params as { progress: number }).progress))).toEqual([1, 2, 3, 4, 'answer']);
    const stderr = bridge.stderr();
    expect(stderr).toContain('conduit-mcp debug: #2 → tools/call slow_count');
    expect(stderr).toContain('#3 → tools/call send_note (idempotency key added)');
    expect(stderr).not.toContain(TOKEN);
    const key = (await peer.state()).requests.find((r) => r.tool === 'send_note' && r.arguments?.body === 'b')!.idempotencyKey!;
    expect(stderr).not.toContain(key);
  });

  it('answers a line that is not JSON with a parse error and a batch with invalid request, and keeps going', async () => {
    const bridge = await initialized();
    bridge.send('this is not json');
    bridge.send([{ jsonrpc: '2.0', id: 5, method: 'ping' }]);
    const ping = await bridge.request({ jsonrpc: '2.0', id: 6, method: 'ping' });
    expect(ping.result).toEqual({});
    const errors = bridge.messages.filter((m) => m.id === null).map((m) => (m.error as { code: number }).code);
    expect(errors).toEqual([-32700, -32600]);
    bridge.child.kill('SIGTERM');
    await bridge.exited;
  });

  it('rejects a bad option before touching stdin, with exit code 2', async () => {
    const bridge = spawnBridge(['--url', 'ftp://example.com/mcp']);
    expect(await bridge.exited).toEqual({ code: 2, signal: null });
    expect(bridge.stderr()).toContain('must be an http(s) URL');
    const insecure = spawnBridge(['--url', 'http://conduit.example.com/v1/mcp']);
    expect((await insecure.exited).code).toBe(2);
    expect(insecure.stderr()).toContain('Refusing to send credentials to http://conduit.example.com over plain http');
    const header = spawnBridge(['--url', peer.mcpUrl, '--header', 'Mcp-Session-Id: forged']);
    expect((await header.exited).code).toBe(2);
    expect(header.stderr()).toContain('--header cannot set mcp-session-id');
  });
});
