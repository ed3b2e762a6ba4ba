import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { enqueueDelivery } from '../src/delivery/outbox.js';
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, startDeliveryWorker } from '../src/delivery/worker.js';
import { newId, nowIso } from '../src/ids.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

const SECRET = 'test-secret';
const logger = pino({ level: 'silent' });

interface Receiver {
  url: string;
  received: Array<{ id: string; body: string; signatureOk: boolean }>;
  /** Answer 503 to this many requests before accepting. */
  failNext: number;
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], failNext: 0, server: createServer() };
  receiver.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (receiver.failNext > 0) {
        receiver.failNext--;
        res.writeHead(503).end();
        return;
      }
      const [t, v1] = String(req.headers[SIGNATURE_HEADER]).split(',').map((p) => p.split('=')[1]);
      const expected = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
      receiver.received.push({ id: String(req.headers[DELIVERY_ID_HEADER]), body, signatureOk: v1 === expected });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

let t: TestStore;
let ws: Workspace;
let conversationId: string;

async function queueMessage(body: string): Promise<string> {
  const id = newId('msg');
  await t.store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('messages')
      .values({ id, workspace_id: ws.id, conversation_id: conversationId, direction: 'outbound', author_type: 'user', author_id: null, author_name: 'API', channel: 'sms', body, subject: null, status: 'queued', sender_id: null, created_at: nowIso() })
      .execute();
    await enqueueDelivery(trx, { workspaceId: ws.id, messageId: id, kind: 'conversation', payload: { channel: 'sms', body } });
  });
  return id;
}

async function messageStatus(id: string): Promise<string | null> {
  return (await t.store.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
}

beforeAll(async () => {
  t = await createTestStore();
  ws = await createWorkspace(t.store, 'acme');
  const contactId = newId('ct');
  conversationId = newId('cv');
  const now = nowIso();
  await t.store.db.insertInto('contacts').values({ id: contactId, workspace_id: ws.id, first_name: 'A', last_name: 'B', email: null, email_norm: null, phone: '+1 555 0100', phone_norm: '15550100', whatsapp: null, whatsapp_norm: null, name_norm: 'a b', archived: 0, ai_paused: 0, last_channel: null, last_message_at: null, last_message_preview: null, created_at: now, updated_at: now }).execute();
  await t.store.db.insertInto('conversations').values({ id: conversationId, workspace_id: ws.id, contact_id: contactId, channel: 'sms', status: 'open', assignee_id: null, subject: null, message_count: 0, last_message_at: null, last_message_preview: null, created_at: now, updated_at: now }).execute();
});
afterAll(() => t.cleanup());

describe('delivery worker', () => {
  it('posts a signed payload with the message id as dedupe key, then marks the message sent', async () => {
    const receiver = await startReceiver();
    const worker = startDeliveryWorker(t.store, logger, { webhookUrl: receiver.url, webhookSecret: SECRET, pollIntervalMs: 60_000 });
    const id = await queueMessage('hello');
    expect(await worker.runOnce()).toBe(1);
    expect(receiver.received).toEqual([{ id, body: expect.stringContaining('"body":"hello"'), signatureOk: true }]);
    expect(await messageStatus(id)).toBe('sent');
    expect(await worker.runOnce()).toBe(0); // nothing delivered twice
    await worker.stop();
    receiver.server.close();
  });

  it('retries with backoff while the receiver is down, then delivers once', async () => {
    const receiver = await startReceiver();
    receiver.failNext = 2;
    const worker = startDeliveryWorker(t.store, logger, { webhookUrl: receiver.url, webhookSecret: SECRET, pollIntervalMs: 60_000, baseBackoffMs: 1 });
    const id = await queueMessage('retry me');
    for (let i = 0; i < 20 && receiver.received.length === 0; i++) {
      await worker.runOnce();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(receiver.received.map((r) => r.id)).toEqual([id]);
    const row = await t.store.db.selectFrom('outbox').select(['status', 'attempts']).where('message_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'sent', attempts: 3 });
    await worker.stop();
    receiver.server.close();
  });

  it('marks a message failed after the last attempt', async () => {
    const receiver = await startReceiver();
    receiver.failNext = 1000;
    const worker = startDeliveryWorker(t.store, logger, { webhookUrl: receiver.url, webhookSecret: SECRET, pollIntervalMs: 60_000, baseBackoffMs: 1, maxAttempts: 3 });
    const id = await queueMessage('never');
    for (let i = 0; i < 20 && (await messageStatus(id)) === 'queued'; i++) {
      await worker.runOnce();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await messageStatus(id)).toBe('failed');
    expect(receiver.received).toHaveLength(0);
    await worker.stop();
    receiver.server.close();
  });

  it('lets concurrent workers (replicas) claim each message once', async () => {
    const receiver = await startReceiver();
    const workers = Array.from({ length: 4 }, () =>
      startDeliveryWorker(t.store, logger, { webhookUrl: receiver.url, webhookSecret: SECRET, pollIntervalMs: 60_000, batchSize: 5 }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await queueMessage(`replica ${i}`));
    let claimed = 0;
    for (let round = 0; round < 10 && receiver.received.length < ids.length; round++) {
      claimed += (await Promise.all(workers.map((w) => w.runOnce()))).reduce((a, b) => a + b, 0);
    }
    expect(claimed).toBe(ids.length);
    expect(receiver.received.map((r) => r.id).sort()).toEqual([...ids].sort());
    const attempts = await t.store.db.selectFrom('outbox').select('attempts').where('message_id', 'in', ids).execute();
    expect(attempts.every((row) => row.attempts === 1)).toBe(true);
    await Promise.all(workers.map((w) => w.stop()));
    receiver.server.close();
  });

  it('without a webhook marks messages sent (local log), and refuses a webhook without a secret', async () => {
    const worker = startDeliveryWorker(t.store, logger, { pollIntervalMs: 60_000 });
    const id = await queueMessage('local');
    await worker.runOnce();
    expect(await messageStatus(id)).toBe('sent');
    await worker.stop();
    expect(() => startDeliveryWorker(t.store, logger, { webhookUrl: 'http://127.0.0.1:1/x' })).toThrow(/secret/);
  });
});
