import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBridge } from '../src/bridge/run.js';
import { LoginRequiredError } from '../src/auth/errors.js';
import type { TokenSource } from '../src/bridge/token-source.js';
import { INITIALIZE, startPeer, type Peer } from './bridge-harness.js';

// The relay with a TokenSource whose access token expires mid-session, against the real peer
// process. In-process so the test controls the credential; the HTTP side is real.
let peer: Peer;

beforeAll(async () => {
  peer = await startPeer(0, 'access-1');
});
afterAll(async () => {
  await peer?.stop();
});

function inProcessBridge(tokenSource: TokenSource) {
  const input = new PassThrough();
  const output = new PassThrough();
  const answers = new Map<unknown, (message: Record<string, unknown>) => void>();
  let buffered = '';
  const notifications: Array<Record<string, unknown>> = [];
  output.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const message = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      if (message.id === undefined) notifications.push(message);
      answers.get(message.id)?.(message);
      newline = buffered.indexOf('\n');
    }
  });
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const bridge = runBridge(
    { url: new URL(peer.mcpUrl), workspace: undefined, readOnly: false, tools: [], excludeTools: [], headers: {}, debug: false, tokenSource, version: 'test' },
    { input, output, stderr: () => {}, exit: (code) => exited(code) },
  );
  return {
    request(message: { id: string | number } & Record<string, unknown>) {
      const answer = new Promise<Record<string, unknown>>((resolve) => answers.set(message.id, resolve));
      input.write(`${JSON.stringify(message)}\n`);
      return answer;
    },
    notify: (message: unknown) => input.write(`${JSON.stringify(message)}\n`),
    notifications: () => notifications,
    async stop() {
      await bridge.shutdown('test done');
      return exit;
    },
  };
}

describe('an access token that expires mid-session', { timeout: 30_000 }, () => {
  it('is refreshed once after the 401, shared by concurrent requests, and each request is retried', async () => {
    let current = 'access-1';
    const refreshed: string[] = [];
    const source: TokenSource = {
      token: async () => current,
      refresh: async (rejected) => {
        refreshed.push(rejected);
        await new Promise((resolve) => setTimeout(resolve, 50)); // a token endpoint round trip
        current = 'access-2';
        return current;
      },
    };
    const bridge = inProcessBridge(source);
    expect((await bridge.request(INITIALIZE)).result).toBeDefined();
    bridge.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await peer.admin('tokens', { accept: ['access-2'] }); // access-1 expired

    const calls = await Promise.all(
      [1, 2, 3].map((id) => bridge.request({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_thing', arguments: { workspace_id: 'w', thing_id: `t${id}` } } })),
    );
    for (const [index, call] of calls.entries()) {
      expect(call.result).toMatchObject({ structuredContent: { workspace_id: 'w', thing_id: `t${index + 1}` } });
    }
    expect(refreshed).toEqual(['access-1']);
    expect(await bridge.stop()).toBe(0);
  });

  it('when the refresh is refused: lists only conduit_sign_in, tells the client the tools changed, and answers calls with what happened', async () => {
    await peer.admin('tokens', { accept: ['access-1'] });
    const source: TokenSource = {
      token: async () => 'access-1',
      refresh: async () => {
        throw new LoginRequiredError(peer.mcpUrl, 'The refresh token was revoked.', 'Put a new token in TEST_TOKEN.');
      },
    };
    const bridge = inProcessBridge(source);
    expect((await bridge.request(INITIALIZE)).result).toBeDefined();
    bridge.notify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await peer.admin('tokens', { accept: ['access-9'] });
    const call = await bridge.request({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_thing', arguments: { workspace_id: 'w', thing_id: 't' } } });
    expect(call.result).toMatchObject({ isError: true });
    expect(JSON.stringify(call.result)).toContain('The refresh token was revoked. Put a new token in TEST_TOKEN. get_thing was not sent to the server.');
    expect(bridge.notifications()).toContainEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    const list = await bridge.request({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((list.result as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(['conduit_sign_in']);
    expect(await bridge.stop()).toBe(0);
  });
});
