import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../src/server-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/webhook-receiver.js';
import {
  connectClient,
  createToken,
  dataFingerprint,
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
 * Refused writes against the real server process: bad arguments come back as clear tool
 * errors (code and a message naming what is wrong), a read-only token gets HTTP 403
 * insufficient_scope on every write tool, and in every case the data is exactly as before
 * and nothing reaches the delivery webhook.
 */

let receiver: WebhookReceiver;
let server: ServerProcess;
let client: Client;
let db: ReadOnlyDb;
let fx: Fixtures;
/** A sender of acme-hotels, to misuse on the other workspace. */
let acmeSenderId: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: DELIVERY_SECRET });
  server = await startWithWebhook(receiver.url);
  if (!server.token) throw new Error(`serve --demo printed no token:\n${server.output()}`);
  client = await connectClient(server.mcpUrl, server.token);
  db = openDatabase(server.dataDir);
  fx = await findFixtures(client);
  const senders = await sdkCall<{ data: Array<{ id: string }> }>(client, 'list_workspace_senders', { workspace_id: 'acme-hotels', channel: 'sms' });
  acmeSenderId = senders.data[0]!.id;
}, 120_000);

afterAll(async () => {
  await client?.close();
  db?.close();
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
  await receiver?.close();
});

function tool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return client.callTool({ name, arguments: args }) as Promise<ToolResult>;
}

const acme = 'acme-hotels';

interface BadCall {
  what: string;
  name: string;
  args: () => Record<string, unknown>;
  code: string;
  /** What the message must say, so a model (or a person) can correct the call. */
  says: RegExp;
}

const badCalls: BadCall[] = [
  // wrong types and missing arguments
  { what: 'a number as body', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: fx.conversationId, body: 42 }), code: 'invalid_argument', says: /body/ },
  { what: 'no conversation_id', name: 'send_conversation_message', args: () => ({ workspace_id: acme, body: 'Hello' }), code: 'invalid_argument', says: /conversation_id/ },
  { what: 'an unknown channel', name: 'send_contact_message', args: () => ({ workspace_id: acme, contact_id: fx.contactId, channel: 'fax', body: 'Hello' }), code: 'invalid_argument', says: /channel/ },
  { what: 'an array as title', name: 'update_knowledge_node', args: () => ({ workspace_id: acme, node_id: fx.articleId, title: ['New'] }), code: 'invalid_argument', says: /title/ },
  { what: 'a string as attributes', name: 'patch_contact_custom_attributes', args: () => ({ workspace_id: acme, contact_id: fx.contactId, attributes: 'vip' }), code: 'invalid_argument', says: /attributes/ },
  { what: 'a number as idempotency_key', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: fx.conversationId, body: 'Hello', idempotency_key: 7 }), code: 'invalid_argument', says: /idempotency_key/ },
  { what: 'a malformed id', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: '12345', body: 'Hello' }), code: 'invalid_argument', says: /conversation_id.*cv_/ },
  // attribute values: every key must exist and fit its type, or nothing is applied
  { what: 'a word for a number attribute (beside a valid one)', name: 'patch_contact_custom_attributes', args: () => ({ workspace_id: acme, contact_id: fx.contactId, attributes: { vip: true, loyalty_points: 'lots' } }), code: 'invalid_argument', says: /loyalty_points/ },
  { what: 'an unknown attribute key (beside a valid one)', name: 'patch_contact_custom_attributes', args: () => ({ workspace_id: acme, contact_id: fx.contactId, attributes: { vip: true, shoe_size: 44 } }), code: 'invalid_argument', says: /shoe_size/ },
  // line breaks in single-line fields: a header injection through the webhook
  { what: 'a line break in an email subject', name: 'send_contact_message', args: () => ({ workspace_id: acme, contact_id: fx.contactId, channel: 'email', body: 'Hello', subject: 'Hello\r\nBcc: attacker@evil.example' }), code: 'invalid_argument', says: /^invalid_argument: subject: must be one line of text/ },
  { what: 'a line break in a contact name', name: 'create_contact', args: () => ({ workspace_id: acme, first_name: 'Eve\nAdmin', email: 'eve@example.com' }), code: 'invalid_argument', says: /first_name: must be one line of text/ },
  { what: 'a line break in a title', name: 'update_knowledge_node', args: () => ({ workspace_id: acme, node_id: fx.articleId, title: 'Policies\r\nForged' }), code: 'invalid_argument', says: /title: must be one line of text/ },
  // oversized
  { what: 'a 10,001-character message', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: fx.conversationId, body: 'x'.repeat(10_001) }), code: 'invalid_argument', says: /body/ },
  { what: 'a 200,001-character article', name: 'update_knowledge_node', args: () => ({ workspace_id: acme, node_id: fx.articleId, body: 'x'.repeat(200_001) }), code: 'invalid_argument', says: /body/ },
  { what: 'a 256-character idempotency key', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: fx.conversationId, body: 'Hello', idempotency_key: 'k'.repeat(256) }), code: 'invalid_argument', says: /idempotency_key/ },
  // ids that do not exist
  { what: 'an unknown conversation', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: 'cv_doesnotexist0', body: 'Hello' }), code: 'not_found', says: /cv_doesnotexist0/ },
  { what: 'an unknown contact', name: 'send_contact_message', args: () => ({ workspace_id: acme, contact_id: 'ct_doesnotexist0', channel: 'sms', body: 'Hello' }), code: 'not_found', says: /ct_doesnotexist0/ },
  { what: 'an unknown knowledge node', name: 'update_knowledge_node', args: () => ({ workspace_id: acme, node_id: 'kn_doesnotexist0', body: 'New' }), code: 'not_found', says: /kn_doesnotexist0/ },
  { what: 'an unknown sender', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: fx.conversationId, body: 'Hello', sender_id: 'sd_doesnotexist0' }), code: 'invalid_argument', says: /sd_doesnotexist0/ },
  // ids of the other workspace: as unknown as ids that do not exist
  { what: 'another workspace\'s conversation', name: 'send_conversation_message', args: () => ({ workspace_id: acme, conversation_id: fx.otherConversationId, body: 'Hello' }), code: 'not_found', says: /not found in this workspace/ },
  { what: 'another workspace\'s contact', name: 'send_contact_message', args: () => ({ workspace_id: acme, contact_id: fx.otherContactId, channel: 'sms', body: 'Hello' }), code: 'not_found', says: /not found in this workspace/ },
  { what: 'another workspace\'s sender', name: 'send_conversation_message', args: () => ({ workspace_id: 'northwind-clinic', conversation_id: fx.otherConversationId, body: 'Hello', sender_id: acmeSenderId }), code: 'invalid_argument', says: /not a sender of this workspace/ },
  { what: 'a workspace that does not exist', name: 'send_conversation_message', args: () => ({ workspace_id: 'globex', conversation_id: fx.conversationId, body: 'Hello' }), code: 'forbidden', says: /globex/ },
];

describe('bad inputs to write tools', () => {
  it('come back as clear tool errors, with the data and the webhook untouched', async () => {
    // The previous test's send is delivered in the background (outbox row, message status, one
    // webhook call); on a busy machine that can land inside the window below, so let it settle.
    const pending = () => (db.prepare("SELECT count(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number }).n;
    await eventually(() => pending() === 0, 30_000, () => `${pending()} deliveries still pending`);
    const before = dataFingerprint(db);
    const rawBefore = receiver.rawCount;
    for (const bad of badCalls) {
      const result = await tool(bad.name, bad.args());
      expect(errorCode(result), bad.what).toBe(bad.code);
      expect(result.content[0]!.text, bad.what).toMatch(new RegExp(`^${bad.code}: `));
      expect(result.content[0]!.text, bad.what).toMatch(bad.says);
      expect(result.structuredContent, bad.what).toBeUndefined();
    }
    // A request body over the server's limit is refused before any tool runs.
    const huge = await rawCall(server.mcpUrl, server.token!, 'send_conversation_message', {}, {
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'send_conversation_message', arguments: { workspace_id: acme, conversation_id: fx.conversationId, body: 'x'.repeat(1_100_000) } } }),
    });
    expect(huge.status).toBe(413);
    expect(huge.error?.message).toMatch(/too large/);
    expect(dataFingerprint(db)).toBe(before);
    expect(receiver.rawCount).toBe(rawBefore);
  });

  it('a workspace the token was not granted is forbidden, and nothing is written', async () => {
    const acmeOnly = await createToken(server.dataDir, 'read_write', ['acme-hotels']);
    const before = dataFingerprint(db);
    const response = await rawCall(server.mcpUrl, acmeOnly, 'send_conversation_message', { workspace_id: 'northwind-clinic', conversation_id: fx.otherConversationId, body: 'Hello' });
    expect(response.status).toBe(200);
    expect(errorCode(response.result)).toBe('forbidden');
    expect(dataFingerprint(db)).toBe(before);
  });

  it('a refused call stores no key: the same key then runs the corrected call', async () => {
    const key = randomUUID();
    const refused = await tool('send_conversation_message', { workspace_id: acme, conversation_id: 'cv_doesnotexist0', body: 'Hello', idempotency_key: key });
    expect(errorCode(refused)).toBe('not_found');
    const body = `Corrected ${key}`;
    const corrected = await tool('send_conversation_message', { workspace_id: acme, conversation_id: fx.conversationId, body, idempotency_key: key });
    expect(corrected.isError).toBeFalsy();
    expect(replayMarker(corrected)).toBeUndefined();
    expect(db.prepare('SELECT count(*) AS n FROM messages WHERE body = ?').get(body)).toEqual({ n: 1 });
  });
});

/** Arguments that would succeed with a read_write token, so a 403 is the only thing stopping them. */
function realisticArgs(name: string, ids: { ticketId: string; agentId: string; skillId: string; deletableArticleId: string }): Record<string, unknown> {
  const unique = randomUUID().slice(0, 8);
  const byTool: Record<string, Record<string, unknown>> = {
    create_contact: { first_name: 'Read', last_name: 'Only', email: `read-only-${unique}@example.com` },
    patch_contact: { contact_id: fx.contactId, first_name: `Renamed ${unique}` },
    send_contact_message: { contact_id: fx.contactId, channel: 'sms', body: `Read-only send ${unique}` },
    patch_contact_custom_attributes: { contact_id: fx.contactId, attributes: { vip: true, loyalty_points: 1200 } },
    send_conversation_message: { conversation_id: fx.conversationId, body: `Read-only reply ${unique}` },
    send_ticket_message: { ticket_id: ids.ticketId, body: `Read-only ticket reply ${unique}` },
    create_knowledge_node: { title: `Read-only ${unique}`, kind: 'article', body: 'Nothing.' },
    update_knowledge_node: { node_id: fx.articleId, body: `Rewritten ${unique}` },
    delete_knowledge_node: { node_id: ids.deletableArticleId },
    create_agent: { name: `Read-only agent ${unique}`, instructions: 'Do nothing.' },
    patch_agent: { agent_id: ids.agentId, description: `Patched ${unique}` },
    delete_agent: { agent_id: ids.agentId },
    create_skill: { name: `Read-only skill ${unique}`, body: 'Do nothing.' },
    patch_skill: { skill_id: ids.skillId, enabled: false },
    delete_skill: { skill_id: ids.skillId },
  };
  return { workspace_id: acme, ...(byTool[name] ?? {}), idempotency_key: randomUUID() };
}

describe('a read-only token', () => {
  it('gets HTTP 403 insufficient_scope on every write tool, and nothing is written', async () => {
    const readOnly = await createToken(server.dataDir, 'read_only', ['acme-hotels']);
    const readOnlyClient = await connectClient(server.mcpUrl, readOnly);
    const { tools } = await readOnlyClient.listTools();
    const writeTools = tools.filter((t) => t.annotations?.readOnlyHint === false).map((t) => t.name);
    expect(writeTools.length).toBeGreaterThanOrEqual(15);
    // It is a working token: reads succeed.
    expect((await readOnlyClient.callTool({ name: 'list_contacts', arguments: { workspace_id: acme, limit: 1 } })).isError).toBeFalsy();
    await readOnlyClient.close();

    const ticket = await sdkCall<{ data: Array<{ id: string }> }>(client, 'list_tickets', { workspace_id: acme, status: 'open', limit: 1 });
    const agent = await sdkCall<{ data: Array<{ id: string }> }>(client, 'list_agents', { workspace_id: acme, limit: 1 });
    const skill = await sdkCall<{ data: Array<{ id: string }> }>(client, 'list_skills', { workspace_id: acme, limit: 1 });
    const articles = await sdkCall<{ data: Array<{ id: string }> }>(client, 'list_knowledge_nodes', { workspace_id: acme, kind: 'article', limit: 5 });
    const ids = {
      ticketId: ticket.data[0]!.id,
      agentId: agent.data[0]!.id,
      skillId: skill.data[0]!.id,
      deletableArticleId: articles.data.find((n) => n.id !== fx.articleId)!.id,
    };

    const before = dataFingerprint(db);
    const rawBefore = receiver.rawCount;
    const calls = writeTools.map((name) => ({ name, args: realisticArgs(name, ids) }));
    for (const { name, args } of calls) {
      const response = await rawCall(server.mcpUrl, readOnly, name, args);
      expect(response.status, name).toBe(403);
      expect(response.headers.get('www-authenticate'), name).toMatch(/error="insufficient_scope"/);
      expect(response.error?.message, name).toMatch(new RegExp(`^insufficient_scope: ${name} `));
      expect(response.result, name).toBeUndefined();
    }
    expect(dataFingerprint(db)).toBe(before);
    expect(receiver.rawCount).toBe(rawBefore);

    // The very same calls with the read_write token go through: the scope was all that stopped them.
    const sentIds: string[] = [];
    for (const { name, args } of calls) {
      const result = await tool(name, args);
      expect(result.isError, `${name}: ${result.content[0]?.text}`).toBeFalsy();
      if (name.startsWith('send_')) sentIds.push((result.structuredContent as { id: string }).id);
    }
    expect(dataFingerprint(db)).not.toBe(before);
    // Each send reached the webhook, the ticket reply included.
    expect(sentIds).toHaveLength(3);
    await receiver.waitFor(() => sentIds.every((id) => receiver.deliveries.has(id)), 15_000, () => `delivered: ${sentIds.filter((id) => receiver.deliveries.has(id))}`);
    expect(sentIds.map((id) => receiver.deliveries.get(id)!.payload.ticket_id).filter(Boolean)).toEqual([ids.ticketId]);
  });
});
