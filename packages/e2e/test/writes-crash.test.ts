import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../src/server-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/webhook-receiver.js';
import {
  connectClient,
  DELIVERY_SECRET,
  eventually,
  findFixtures,
  openDatabase,
  rawCall,
  replayMarker,
  startWithWebhook,
  type Fixtures,
  type RawResponse,
  type ToolResult,
} from './write-helpers.js';

/**
 * Keys and the outbox across restarts and crashes of the real server process: a retry after a
 * restart replays, and after a kill -9 in the middle of a burst of sends, every acknowledged
 * send exists exactly once and every message reaches the webhook receiver, deduped, exactly
 * once (raw deliveries may be more: delivery is at least once).
 */

/**
 * A short delivery claim, so a delivery cut off by the kill is retried two seconds after the
 * restart rather than after the default minute. No rate limit: the burst is hundreds of calls.
 */
const SERVE_ARGS = ['--delivery-claim-seconds', '2', '--rate-limit', '0'];

let receiver: WebhookReceiver;
let server: ServerProcess;
let dataDir: string;
let token: string;
let fx: Fixtures;

type Message = { id: string; body: string; status: string };

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: DELIVERY_SECRET });
  server = await startWithWebhook(receiver.url, undefined, SERVE_ARGS);
  if (!server.token) throw new Error(`serve --demo printed no token:\n${server.output()}`);
  token = server.token;
  dataDir = server.dataDir;
  const client = await connectClient(server.mcpUrl, token);
  fx = await findFixtures(client);
  await client.close();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
  await receiver?.close();
  expect(receiver?.rejected).toEqual([]);
});

/** Restarts the server on the same data dir (same demo data, same token, same webhook). */
async function restart(how: 'stop' | 'kill'): Promise<void> {
  if (how === 'stop') expect(await server.stop()).toBe(0);
  else await server.kill();
  server = await startWithWebhook(receiver.url, dataDir, SERVE_ARGS);
}

function rowsWithBody(body: string): Array<{ id: string }> {
  const db = openDatabase(dataDir);
  try {
    return db.prepare('SELECT id FROM messages WHERE body = ?').all(body) as Array<{ id: string }>;
  } finally {
    db.close();
  }
}

describe('idempotency keys across a restart', () => {
  it('a retry after the server restarted replays the first result, and the message is delivered once', async () => {
    const key = randomUUID();
    const body = `Sent before a restart (${key})`;
    const args = { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body, idempotency_key: key };
    let client = await connectClient(server.mcpUrl, token);
    const first = (await client.callTool({ name: 'send_conversation_message', arguments: args })) as ToolResult;
    expect(first.isError).toBeFalsy();
    const sent = first.structuredContent as Message;
    await client.close();

    await restart('stop');
    client = await connectClient(server.mcpUrl, token);
    const retry = (await client.callTool({ name: 'send_conversation_message', arguments: args })) as ToolResult;
    await client.close();
    expect(replayMarker(retry)).toMatchObject({ key, replayed: true });
    expect((retry.structuredContent as Message).id).toBe(sent.id);
    expect(rowsWithBody(body)).toEqual([{ id: sent.id }]);
    await receiver.waitFor(() => receiver.deliveries.has(sent.id), 15_000);
    expect(receiver.deliveries.get(sent.id)!.attempts).toBe(1);
  });
});

interface Send {
  key: string;
  name: 'send_conversation_message' | 'send_contact_message';
  args: Record<string, unknown>;
  body: string;
  /** The message id the server acknowledged before the kill, if it did. */
  acknowledged?: string;
}

function planSend(i: number): Send {
  const key = randomUUID();
  const body = `Crash-test send ${i} (${key})`;
  // Both send tools, through the Idempotency-Key header as a plain HTTP client would.
  return i % 2 === 0
    ? { key, body, name: 'send_conversation_message', args: { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body } }
    : { key, body, name: 'send_contact_message', args: { workspace_id: 'acme-hotels', contact_id: fx.contactId, channel: 'sms', body } };
}

function messageIdOf(response: RawResponse): string | undefined {
  if (response.status !== 200 || !response.result || response.result.isError) return undefined;
  return (response.result.structuredContent as Message).id;
}

async function send(s: Send): Promise<RawResponse> {
  return rawCall(server.mcpUrl, token, s.name, s.args, { idempotencyKey: s.key });
}

describe('kill -9 while sends and deliveries are in flight', () => {
  it('every acknowledged send exists exactly once after the restart and is delivered exactly once (deduped)', async () => {
    // The receiver takes deliveries but does not answer yet, so the kill cuts them off.
    receiver.holdResponses();
    const startedAt = new Date().toISOString();
    const rawBefore = receiver.rawCount;
    const deliveredBefore = new Set(receiver.deliveries.keys());

    // A first wave, acknowledged, whose delivery is under way when the second wave starts.
    const firstWave = Array.from({ length: 40 }, (_, i) => planSend(i));
    for (const [i, response] of (await Promise.all(firstWave.map(send))).entries()) {
      firstWave[i]!.acknowledged = messageIdOf(response);
    }
    expect(firstWave.every((s) => s.acknowledged)).toBe(true);
    // The worker's first batch is now posted and waiting for answers (its other rows wait their turn).
    await receiver.waitFor(() => receiver.rawCount > rawBefore, 10_000, () => 'no delivery started');

    // The second wave: 60 sends at once, killed as soon as the tenth is acknowledged.
    const secondWave = Array.from({ length: 60 }, (_, i) => planSend(40 + i));
    let acked = 0;
    let killed: Promise<number | null> | undefined;
    await Promise.all(
      secondWave.map(async (s) => {
        try {
          // A success that arrives after the kill signal still counts: the client has it.
          const id = messageIdOf(await send(s));
          if (id) {
            s.acknowledged = id;
            if (++acked === 10) killed = server.kill();
          }
        } catch {
          // The connection died with the server: not acknowledged.
        }
      }),
    );
    await killed;
    // Received by the webhook, never answered: the server died not knowing they were delivered.
    const cutOff = [...receiver.deliveries.keys()].filter((id) => !deliveredBefore.has(id));
    expect(cutOff.length).toBeGreaterThan(0);
    const sends = [...firstWave, ...secondWave];
    const acknowledged = sends.filter((s) => s.acknowledged);
    expect(acknowledged.length).toBeGreaterThanOrEqual(50);
    expect(acknowledged.length).toBeLessThan(sends.length); // the kill did land mid-burst

    receiver.releaseResponses();
    server = await startWithWebhook(receiver.url, dataDir, SERVE_ARGS);

    // Durable: every acknowledged send is there after the crash, exactly once, before any retry.
    for (const s of acknowledged) expect(rowsWithBody(s.body), s.body).toEqual([{ id: s.acknowledged }]);

    // The client retries every send it is unsure of, and the ones it is sure of, with the same keys.
    const retries = await Promise.all(sends.map(send));
    let committedButUnacknowledged = 0;
    const messageIds = new Set<string>();
    const bodyOf = new Map<string, string>();
    for (const [i, response] of retries.entries()) {
      const s = sends[i]!;
      const id = messageIdOf(response);
      expect(id, `${s.body}: ${JSON.stringify(response.result ?? response.error)}`).toBeDefined();
      if (s.acknowledged) {
        expect(id).toBe(s.acknowledged);
        expect(replayMarker(response.result)).toMatchObject({ key: s.key, replayed: true });
      } else if (replayMarker(response.result)) {
        committedButUnacknowledged++; // written before the kill, answer lost with the connection
      }
      expect(rowsWithBody(s.body), s.body).toEqual([{ id }]);
      messageIds.add(id!);
      bodyOf.set(id!, s.body);
    }
    expect(messageIds.size).toBe(sends.length);

    // Every message is queued for delivery exactly once, and the outbox drains.
    const db = openDatabase(dataDir);
    try {
      const placeholders = [...messageIds].map(() => '?').join(',');
      const outbox = () => db.prepare(`SELECT message_id, status FROM outbox WHERE message_id IN (${placeholders})`).all(...messageIds) as Array<{ message_id: string; status: string }>;
      expect(outbox().map((r) => r.message_id).sort()).toEqual([...messageIds].sort());
      await eventually(
        () => outbox().every((r) => r.status === 'sent') && [...messageIds].every((id) => receiver.deliveries.has(id)),
        30_000,
        () => `outbox ${JSON.stringify(outbox().filter((r) => r.status !== 'sent'))}, undelivered ${[...messageIds].filter((id) => !receiver.deliveries.has(id)).length}`,
      );
      const statuses = db.prepare(`SELECT DISTINCT status FROM messages WHERE id IN (${placeholders})`).all(...messageIds);
      expect(statuses).toEqual([{ status: 'sent' }]);
      // Nothing sent during this test, retried or not, is left stored but undelivered.
      expect(db.prepare("SELECT count(*) AS n FROM outbox WHERE status != 'sent'").get()).toEqual({ n: 0 });
      const unqueued = db.prepare(
        "SELECT count(*) AS n FROM messages m WHERE m.direction = 'outbound' AND m.created_at >= ? AND (m.status != 'sent' OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id))",
      );
      expect(unqueued.get(startedAt)).toEqual({ n: 0 });
    } finally {
      db.close();
    }

    // The receiver saw each message once after dedupe; redeliveries are the ones the kill cut off.
    const newDeliveries = [...receiver.deliveries.values()].filter((d) => !deliveredBefore.has(d.id));
    expect(newDeliveries.map((d) => d.id).sort()).toEqual([...messageIds].sort());
    const raw = receiver.rawCount - rawBefore;
    const redelivered = newDeliveries.filter((d) => d.attempts > 1);
    expect(raw).toBe(newDeliveries.reduce((sum, d) => sum + d.attempts, 0));
    // Exactly the deliveries the kill cut off came again, once each; no other message came twice.
    expect(redelivered.map((d) => d.id).sort()).toEqual(cutOff.sort());
    expect(redelivered.every((d) => d.attempts === 2)).toBe(true);
    for (const d of newDeliveries) expect(d.payload.body, d.id).toBe(bodyOf.get(d.id));
    console.info(
      `kill -9 mid-burst: ${sends.length} keyed sends, ${acknowledged.length} acknowledged, ${committedButUnacknowledged} committed but unacknowledged (replayed on retry), ` +
        `${sends.length - acknowledged.length - committedButUnacknowledged} written by the retry; webhook: ${raw} raw deliveries, ${newDeliveries.length} after dedupe (${redelivered.length} redelivered after the crash)`,
    );
  });
});
