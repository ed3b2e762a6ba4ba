import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../src/server-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/webhook-receiver.js';
import {
  connectClient,
  DELIVERY_SECRET,
  errorCode,
  eventually,
  findFixtures,
  openDatabase,
  rawCall,
  replayMarker,
  sdkCall,
  startWithWebhook,
  type Fixtures,
  type ReadOnlyDb,
  type ToolResult,
} from './write-helpers.js';

/**
 * The product page's write flows against the real server process (`serve --demo` with a
 * delivery webhook): reply to a conversation, send to a contact on a channel, update a
 * knowledge node, each from the MCP SDK client with and without an idempotency key; and the
 * key semantics of TOOLS.md under concurrency and across workspaces. Deliveries land on a
 * loopback receiver that verifies signatures and dedupes like a real integration.
 */

let receiver: WebhookReceiver;
let server: ServerProcess;
let client: Client;
let db: ReadOnlyDb;
let fx: Fixtures;

type Message = { id: string; body: string; status: string | null; conversation_id: string; channel: string };

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: DELIVERY_SECRET });
  server = await startWithWebhook(receiver.url);
  if (!server.token) throw new Error(`serve --demo printed no token:\n${server.output()}`);
  client = await connectClient(server.mcpUrl, server.token);
  db = openDatabase(server.dataDir);
  fx = await findFixtures(client);
}, 120_000);

afterAll(async () => {
  await client?.close();
  db?.close();
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
  await receiver?.close();
  // Every request the server made was signed with the right secret.
  expect(receiver?.rejected).toEqual([]);
});

function tool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return client.callTool({ name, arguments: args }) as Promise<ToolResult>;
}

function messagesWithBody(body: string): Array<{ id: string; status: string }> {
  return db.prepare('SELECT id, status FROM messages WHERE body = ? ORDER BY seq').all(body) as Array<{ id: string; status: string }>;
}

function outboxRows(messageId: string): Array<{ status: string; attempts: number }> {
  return db.prepare('SELECT status, attempts FROM outbox WHERE message_id = ?').all(messageId) as Array<{ status: string; attempts: number }>;
}

/** Waits until the worker has delivered the message and recorded it, then returns the delivery. */
async function delivered(messageId: string) {
  await eventually(
    () => receiver.deliveries.has(messageId) && outboxRows(messageId)[0]?.status === 'sent',
    15_000,
    () => `message ${messageId}: outbox ${JSON.stringify(outboxRows(messageId))}, received ${receiver.deliveries.has(messageId)}`,
  );
  return receiver.deliveries.get(messageId)!;
}

describe('the product page\'s write flows from the MCP SDK client', () => {
  it('replies to a conversation with a key: one message, a marked replay on retry, one signed delivery', async () => {
    const key = randomUUID();
    const body = `Hi! Quick update on your booking (${key}).`;
    const args = { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body, idempotency_key: key };

    const first = await tool('send_conversation_message', args);
    expect(first.isError).toBeFalsy();
    const sent = first.structuredContent as Message;
    expect(sent).toMatchObject({ body, status: 'queued', conversation_id: fx.conversationId, channel: 'sms' });
    expect(replayMarker(first)).toBeUndefined();

    const retry = await tool('send_conversation_message', args);
    expect(retry.structuredContent).toEqual(first.structuredContent);
    expect(replayMarker(retry)).toMatchObject({ key, replayed: true });

    expect(messagesWithBody(body)).toHaveLength(1);
    const delivery = await delivered(sent.id);
    expect(delivery.attempts).toBe(1);
    expect(delivery.payload).toMatchObject({ message_id: sent.id, conversation_id: fx.conversationId, channel: 'sms', body });
    expect(outboxRows(sent.id)).toEqual([{ status: 'sent', attempts: 1 }]);

    // The transcript shows the reply once, now sent.
    const thread = await sdkCall<{ data: Message[] }>(client, 'list_conversation_messages', { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, limit: 5 });
    expect(thread.data.filter((m) => m.body === body)).toEqual([expect.objectContaining({ id: sent.id, status: 'sent' })]);
  });

  it('replies without a key: every call is a new send, each delivered once', async () => {
    const body = `Unkeyed reply ${randomUUID()}`;
    const args = { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body };
    const a = (await sdkCall<Message>(client, 'send_conversation_message', args)).id;
    const b = (await sdkCall<Message>(client, 'send_conversation_message', args)).id;
    expect(a).not.toBe(b); // exactly the double send the product page warns about
    expect(messagesWithBody(body).map((m) => m.id)).toEqual([a, b]);
    expect((await delivered(a)).attempts).toBe(1);
    expect((await delivered(b)).attempts).toBe(1);
  });

  it('sends to a contact on a channel, with a key (replayed) and without (a new message)', async () => {
    const key = randomUUID();
    const body = `Your room is ready (${key}).`;
    const args = { workspace_id: 'acme-hotels', contact_id: fx.contactId, channel: 'sms', body, idempotency_key: key };
    const first = await tool('send_contact_message', args);
    expect(first.isError).toBeFalsy();
    const sent = first.structuredContent as Message;
    const retry = await tool('send_contact_message', args);
    expect(replayMarker(retry)).toMatchObject({ key, replayed: true });
    expect((retry.structuredContent as Message).id).toBe(sent.id);
    expect(messagesWithBody(body)).toHaveLength(1);
    const delivery = await delivered(sent.id);
    expect(delivery.payload).toMatchObject({ channel: 'sms', body, to: { contact_id: fx.contactId, address: fx.contactPhone } });

    const { idempotency_key: _key, ...unkeyed } = args;
    const again = await sdkCall<Message>(client, 'send_contact_message', unkeyed);
    expect(again.id).not.toBe(sent.id);
    expect(messagesWithBody(body)).toHaveLength(2);
    expect((await delivered(again.id)).attempts).toBe(1);
  });

  it('updates a knowledge node with a key (a replay changes nothing again) and without one', async () => {
    const key = randomUUID();
    const phrase = `late checkout until ${key.slice(0, 8)}`;
    const keyed = { workspace_id: 'acme-hotels', node_id: fx.articleId, body: `# Checkout\n\nGuests may request ${phrase}.`, idempotency_key: key };
    const first = await tool('update_knowledge_node', keyed);
    expect(first.isError).toBeFalsy();
    expect((first.structuredContent as { body: string }).body).toContain(phrase);
    const hits = await sdkCall<{ data: Array<{ id: string }> }>(client, 'search_knowledge_nodes', { workspace_id: 'acme-hotels', query: phrase, match: 'phrase' });
    expect(hits.data.map((n) => n.id)).toEqual([fx.articleId]);

    // A later unkeyed update wins; retrying the keyed one replays its result and does not undo it.
    const newer = `# Checkout\n\nCheckout is at 11:00 (${randomUUID()}).`;
    await sdkCall(client, 'update_knowledge_node', { workspace_id: 'acme-hotels', node_id: fx.articleId, body: newer });
    const retry = await tool('update_knowledge_node', keyed);
    expect(replayMarker(retry)).toMatchObject({ key, replayed: true });
    expect(retry.structuredContent).toEqual(first.structuredContent);
    const node = await sdkCall<{ body: string }>(client, 'get_knowledge_node', { workspace_id: 'acme-hotels', node_id: fx.articleId });
    expect(node.body).toBe(newer);
  });
});

describe('idempotency keys over HTTP', () => {
  it('50 concurrent identical sends with one key: one message row, one webhook delivery', async () => {
    const key = randomUUID();
    const body = `Concurrent send ${key}`;
    const args = { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body };
    const rawBefore = receiver.rawCount;
    // Half carry the key as the Idempotency-Key header, half as the argument: the same request either way.
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? rawCall(server.mcpUrl, server.token!, 'send_conversation_message', args, { idempotencyKey: key })
          : rawCall(server.mcpUrl, server.token!, 'send_conversation_message', { ...args, idempotency_key: key }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(responses.filter((r) => r.result?.isError)).toEqual([]);
    const ids = new Set(responses.map((r) => (r.result?.structuredContent as Message).id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => !replayMarker(r.result))).toHaveLength(1);

    const [row, ...extra] = messagesWithBody(body);
    expect(extra).toEqual([]);
    expect(ids.has(row!.id)).toBe(true);
    expect(outboxRows(row!.id)).toHaveLength(1);
    expect((await delivered(row!.id)).attempts).toBe(1);
    expect(receiver.rawCount - rawBefore).toBe(1);
  });

  it('the same key with a different body is idempotency_key_reused, and nothing is written', async () => {
    const key = randomUUID();
    const args = { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body: `First ${key}`, idempotency_key: key };
    const first = await sdkCall<Message>(client, 'send_conversation_message', args);
    const reused = await tool('send_conversation_message', { ...args, body: `Second ${key}` });
    expect(errorCode(reused)).toBe('idempotency_key_reused');
    expect(reused.content[0]!.text).toMatch(/^idempotency_key_reused: .*different send_conversation_message request/);
    expect(messagesWithBody(`Second ${key}`)).toEqual([]);
    // The key still stands for the first request.
    expect(replayMarker(await tool('send_conversation_message', args))).toMatchObject({ replayed: true });
    expect((await delivered(first.id)).attempts).toBe(1);
  });

  it('the same key in another workspace, or on another tool, is independent', async () => {
    const key = randomUUID();
    const body = `Same key, two workspaces (${key})`;
    const acme = await tool('send_conversation_message', { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body, idempotency_key: key });
    const northwind = await tool('send_conversation_message', { workspace_id: 'northwind-clinic', conversation_id: fx.otherConversationId, body, idempotency_key: key });
    expect(replayMarker(northwind)).toBeUndefined();
    const [a, b] = [acme.structuredContent as Message, northwind.structuredContent as Message];
    expect(a.id).not.toBe(b.id);
    expect(messagesWithBody(body).map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    expect((await delivered(a.id)).attempts).toBe(1);
    expect((await delivered(b.id)).attempts).toBe(1);

    // Scope is (workspace, tool, key): the key on another tool is a fresh request too.
    const other = await tool('send_contact_message', { workspace_id: 'acme-hotels', contact_id: fx.contactId, channel: 'sms', body, idempotency_key: key });
    expect(other.isError).toBeFalsy();
    expect(replayMarker(other)).toBeUndefined();
    // And each workspace's key still replays its own result (slug or id alike).
    const workspaces = await sdkCall<{ data: Array<{ id: string; slug: string }> }>(client, 'list_workspaces', {});
    const northwindId = workspaces.data.find((w) => w.slug === 'northwind-clinic')!.id;
    const replay = await tool('send_conversation_message', { workspace_id: northwindId, conversation_id: fx.otherConversationId, body, idempotency_key: key });
    expect((replay.structuredContent as Message).id).toBe(b.id);
    expect(replayMarker(replay)).toMatchObject({ key, replayed: true });
  });

  it('a header that disagrees with the argument is invalid_argument and writes nothing', async () => {
    const body = `Disagreeing keys ${randomUUID()}`;
    const response = await rawCall(
      server.mcpUrl,
      server.token!,
      'send_conversation_message',
      { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body, idempotency_key: 'argument-key' },
      { idempotencyKey: 'header-key' },
    );
    expect(response.status).toBe(200);
    expect(errorCode(response.result)).toBe('invalid_argument');
    expect(response.result!.content[0]!.text).toContain('Idempotency-Key header');
    expect(messagesWithBody(body)).toEqual([]);
  });
});
