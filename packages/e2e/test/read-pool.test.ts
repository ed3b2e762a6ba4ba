import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';

// The read pool of the built server, as `serve` runs it: its options, its banner line, its
// worker threads (dist/read-worker.js) answering searches, and a client that disconnects
// mid-search not keeping a worker from the next client.

const run = promisify(execFile);

async function serveFails(args: string[]): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-e2e-pool-'));
  try {
    await run(process.execPath, [SERVER_CLI, 'serve', '--data-dir', dataDir, '--port', '0', ...args], { timeout: 30_000 });
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    expect(failed.code).toBe(1);
    return failed.stderr ?? '';
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  throw new Error(`serve ${args.join(' ')} started`);
}

describe('serve --read-pool-size and --read-pool-per-workspace', () => {
  // Four server processes in a row: up to 22 s measured on a busy 2-core machine.
  it('refuses values it cannot honour, naming the option', { timeout: 120_000 }, async () => {
    expect(await serveFails(['--read-pool-size', 'two'])).toContain('error: invalid --read-pool-size "two": expected a whole number from 0 to 256');
    expect(await serveFails(['--read-pool-size', '-1'])).toContain('invalid --read-pool-size "-1"');
    expect(await serveFails(['--read-pool-size', '2', '--read-pool-per-workspace', '3'])).toContain('invalid --read-pool-per-workspace "3": expected from 1 to the read pool size, 2 (--read-pool-size)');
    expect(await serveFails(['--read-pool-size', '0', '--read-pool-per-workspace', '1'])).toContain('--read-pool-per-workspace needs a read pool');
  });
});

describe('a server with a read pool of one worker', () => {
  let server: ServerProcess;
  const rpc = (id: number, args: Record<string, unknown>) =>
    JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'search_conversations', arguments: { workspace_id: 'acme-hotels', ...args } } });

  beforeAll(async () => {
    server = await startServer({ demo: true, env: { CONDUIT_READ_POOL_SIZE: '1' } });
  }, 120_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    server?.cleanup();
  });

  it('says where searches run, and answers them from its worker', async () => {
    expect(server.output()).toContain('searches: 1 worker thread, at most 1 per workspace');
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${server.token}` },
      body: rpc(1, { query: '"double charge"' }),
    });
    const body = (await res.json()) as { result: { structuredContent: { data: unknown[]; ranked_since: string | null } } };
    expect(body.result.structuredContent.data.length).toBeGreaterThan(0);
    expect(body.result.structuredContent.ranked_since).toBeNull();
  });

  it('drops or stops the searches of clients that disconnect, and the next client is answered', async () => {
    const abandon = (i: number) =>
      new Promise<void>((resolve) => {
        const req = request(server.mcpUrl, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${server.token}` } });
        req.on('error', () => resolve());
        req.end(rpc(100 + i, { query: 'the', created_before: new Date(Date.now() - i * 1000).toISOString() }), () => {
          req.destroy();
          resolve();
        });
      });
    await Promise.all(Array.from({ length: 24 }, (_, i) => abandon(i)));
    const counter = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    let metrics = '';
    for (let i = 0; i < 200; i++) {
      metrics = await (await fetch(`${server.url}/metrics`)).text();
      if (counter(metrics, 'conduit_read_pool_running') === 0 && counter(metrics, 'conduit_read_pool_waiting') === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(counter(metrics, 'conduit_read_pool_dropped_total') + counter(metrics, 'conduit_read_pool_stopped_total')).toBeGreaterThan(0);
    expect(metrics).toMatch(/conduit_tool_calls_total\{tool="search_conversations",outcome="client_gone"\} [1-9]/);
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${server.token}` },
      body: rpc(2, { query: 'refund', created_after: new Date(Date.now() - 7 * 86_400_000).toISOString() }),
    });
    const body = (await res.json()) as { result: { structuredContent: { data: unknown[] } } };
    expect(body.result.structuredContent.data.length).toBeGreaterThan(0);
  });
});
