import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import type { Channel, ConversationStatus } from '../src/store/schema.js';
import {
  getConversation,
  listConversationMessages,
  listConversations,
  searchConversations,
  sendConversationMessage,
} from '../src/tools/conversations.js';
import { collectPages } from './collect-pages.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, preflightOutcome, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const ids = {
  maya: 'us_maya1',
  ana: '',
  noEmail: '',
  smsDefault: '',
  smsSecond: '',
  emailDefault: '',
  otherSms: '',
  otherContact: '',
  otherConversation: '',
  long: '',
  doubleCharge: '',
  wordsOnly: '',
  oldDoubleCharge: '',
  closed: '',
  email: '',
  voice: '',
};

interface Page<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}
interface Summary {
  id: string;
  contact_name: string | null;
  status: string;
  channel: string;
  updated_at: string;
  message_count: number;
  last_message_preview: string | null;
}
interface Message {
  id: string;
  created_at: string;
  status: string | null;
  body: string;
  author: { type: string; id: string | null; name: string | null };
}

const minute = (m: number) => new Date(Date.UTC(2026, 1, 1, 0, m)).toISOString();

async function addContact(workspaceId: string, first: string, extra: Record<string, unknown> = {}): Promise<string> {
  const id = newId('ct');
  await t.store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: workspaceId,
      first_name: first,
      last_name: 'Doe',
      email: `${first.toLowerCase()}@example.com`,
      email_norm: `${first.toLowerCase()}@example.com`,
      phone: '+1 415 555 0100',
      phone_norm: '14155550100',
      whatsapp: null,
      whatsapp_norm: null,
      name_norm: `${first.toLowerCase()} doe`,
      archived: 0,
      ai_paused: 0,
      last_channel: null,
      last_message_at: null,
      last_message_preview: null,
      created_at: minute(0),
      updated_at: minute(0),
      ...extra,
    })
    .execute();
  return id;
}

async function addSender(workspaceId: string, channel: Channel, address: string, isDefault: boolean): Promise<string> {
  const id = newId('sd');
  await t.store.db
    .insertInto('senders')
    .values({ id, workspace_id: workspaceId, channel, address, display_name: `Acme ${channel}`, is_default: isDefault ? 1 : 0, created_at: minute(0) })
    .execute();
  return id;
}

async function addConversation(
  workspaceId: string,
  contactId: string,
  at: string,
  extra: { channel?: Channel; status?: ConversationStatus; assignee_id?: string | null; subject?: string | null } = {},
): Promise<string> {
  const id = newId('cv');
  await t.store.db
    .insertInto('conversations')
    .values({
      id,
      workspace_id: workspaceId,
      contact_id: contactId,
      channel: extra.channel ?? 'sms',
      status: extra.status ?? 'open',
      assignee_id: extra.assignee_id ?? null,
      subject: extra.subject ?? null,
      message_count: 0,
      last_message_at: at,
      last_message_preview: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}

async function addMessage(conversationId: string, workspaceId: string, body: string, at: string): Promise<string> {
  const id = newId('msg');
  await t.store.db
    .insertInto('messages')
    .values({
      id,
      workspace_id: workspaceId,
      conversation_id: conversationId,
      direction: 'inbound',
      author_type: 'contact',
      author_id: null,
      author_name: 'Ana Doe',
      channel: 'sms',
      body,
      subject: null,
      status: null,
      sender_id: null,
      created_at: at,
    })
    .execute();
  return id;
}

async function count(table: 'messages' | 'outbox'): Promise<number> {
  const row = await t.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}


const acmeCtx = () => testContext(t.store, credentialFor([acme]), { now: () => new Date('2026-03-01T12:00:00Z') });

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await t.store.db.insertInto('users').values({ id: ids.maya, email: 'maya@acme.test', name: 'Maya Lopez', password_hash: null, created_at: minute(0) }).execute();
  ids.ana = await addContact(acme.id, 'Ana');
  ids.noEmail = await addContact(acme.id, 'Bo', { email: null, email_norm: null, phone: '+1 415 555 0101', phone_norm: '14155550101' });
  ids.otherContact = await addContact(other.id, 'Zed', { phone_norm: '19995550000' });
  ids.smsDefault = await addSender(acme.id, 'sms', '+14155550199', true);
  ids.smsSecond = await addSender(acme.id, 'sms', '+14155550198', false);
  ids.emailDefault = await addSender(acme.id, 'email', 'help@acme.test', true);
  ids.otherSms = await addSender(other.id, 'sms', '+19995550199', true);

  // 30 plain conversations; pairs share updated_at so the seq tie-break is exercised.
  for (let i = 0; i < 30; i++) {
    await addConversation(acme.id, i % 3 === 0 ? ids.noEmail : ids.ana, minute(100 + Math.floor(i / 2)), {
      status: (['open', 'snoozed', 'closed'] as const)[i % 3],
      assignee_id: i % 5 === 0 ? ids.maya : null,
    });
  }
  ids.long = await addConversation(acme.id, ids.ana, minute(300));
  for (let i = 0; i < 25; i++) await addMessage(ids.long, acme.id, `message number ${i}`, minute(200 + Math.floor(i / 3)));

  ids.doubleCharge = await addConversation(acme.id, ids.ana, minute(400));
  await addMessage(ids.doubleCharge, acme.id, 'There is a double charge on my card.', minute(400));
  ids.wordsOnly = await addConversation(acme.id, ids.noEmail, minute(401), { status: 'snoozed' });
  await addMessage(ids.wordsOnly, acme.id, 'The charge for breakfast looks wrong; please double check the minibar, the parking fee and the spa bill too.', minute(401));
  ids.oldDoubleCharge = await addConversation(acme.id, ids.ana, minute(402), { channel: 'email', subject: 'Billing' });
  await addMessage(ids.oldDoubleCharge, acme.id, 'Another double charge from last year.', '2025-01-01T00:00:00.000Z');
  for (let i = 0; i < 7; i++) {
    const cv = await addConversation(acme.id, ids.ana, minute(500 + i));
    await addMessage(cv, acme.id, `please refund the deposit ${i}`, minute(500 + i));
  }
  ids.closed = await addConversation(acme.id, ids.ana, minute(600), { status: 'closed' });
  ids.email = await addConversation(acme.id, ids.noEmail, minute(601), { channel: 'email', subject: 'Invoice' });
  ids.voice = await addConversation(acme.id, ids.ana, minute(602), { channel: 'voice' });
  ids.otherConversation = await addConversation(other.id, ids.otherContact, minute(100));
  await addMessage(ids.otherConversation, other.id, 'double charge in the other workspace', minute(100));
});
afterAll(() => t.cleanup());

describe('list_conversations', () => {
  it('pages through every conversation exactly once, most recently updated first', async () => {
    const all = (await collectPages<Summary>(listConversations, { workspace_id: 'acme-hotels' }, acmeCtx(), 7)).items;
    const total = await t.store.db.selectFrom('conversations').select('id').where('workspace_id', '=', acme.id).execute();
    expect(all.map((c) => c.id).sort()).toEqual(total.map((c) => c.id).sort());
    expect(all.map((c) => c.updated_at)).toEqual([...all.map((c) => c.updated_at)].sort().reverse());
    expect(all.find((c) => c.id === ids.long)?.contact_name).toBe('Ana Doe');
  });

  it('filters by status, channel, contact, assignee and update time', async () => {
    const ctx = acmeCtx();
    const base = { workspace_id: acme.id, limit: 100 };
    const closed = await callOk<Page<Summary>>(listConversations, { ...base, status: 'closed', updated_before: minute(200) }, ctx);
    expect(closed.data).toHaveLength(10);
    expect(closed.data.every((c) => c.status === 'closed')).toBe(true);
    const email = await callOk<Page<Summary>>(listConversations, { ...base, channel: 'email' }, ctx);
    expect(email.data.map((c) => c.id).sort()).toEqual([ids.oldDoubleCharge, ids.email].sort());
    const bo = await callOk<Page<Summary>>(listConversations, { ...base, contact_id: ids.noEmail }, ctx);
    expect(bo.data).toHaveLength(12); // 10 plain + wordsOnly + email
    const maya = await callOk<Page<Summary>>(listConversations, { ...base, assignee_id: ids.maya }, ctx);
    expect(maya.data).toHaveLength(6);
    const window = await callOk<Page<Summary>>(listConversations, { ...base, updated_after: minute(400), updated_before: minute(402) }, ctx);
    expect(window.data.map((c) => c.id).sort()).toEqual([ids.doubleCharge, ids.wordsOnly].sort());
  });

  it('refuses a cursor from another filter set', async () => {
    const ctx = acmeCtx();
    const first = await callOk<Page<Summary>>(listConversations, { workspace_id: acme.id, limit: 2 }, ctx);
    const error = await callError(listConversations, { workspace_id: acme.id, limit: 2, status: 'open', cursor: first.next_cursor }, ctx);
    expect(error).toMatch(/^invalid_argument: cursor/);
  });
});

describe('get_conversation and list_conversation_messages', () => {
  it('returns metadata with the contact and assignee, and no transcript', async () => {
    const maya = (await callOk<Page<Summary>>(listConversations, { workspace_id: acme.id, assignee_id: ids.maya, limit: 1 }, acmeCtx())).data[0];
    const got = await callOk<Record<string, unknown>>(getConversation, { workspace_id: acme.id, conversation_id: maya?.id }, acmeCtx());
    expect(got).toMatchObject({ id: maya?.id, assignee: { id: ids.maya, name: 'Maya Lopez' } });
    expect(got.contact).toMatchObject({ name: expect.stringMatching(/Doe$/) });
    expect(got).not.toHaveProperty('messages');
  });

  it('pages through every message exactly once in both orders', async () => {
    const ctx = acmeCtx();
    for (const order of ['asc', 'desc'] as const) {
      const all = (await collectPages<Message>(listConversationMessages, { workspace_id: acme.id, conversation_id: ids.long, order }, ctx, 4)).items;
      expect(all).toHaveLength(25);
      expect(new Set(all.map((m) => m.id)).size).toBe(25);
      const bodies = all.map((m) => Number(m.body.split(' ').pop()));
      const ascending = Array.from({ length: 25 }, (_, i) => i);
      expect(bodies).toEqual(order === 'asc' ? ascending : ascending.reverse());
    }
    const first = await callOk<Page<Message>>(listConversationMessages, { workspace_id: acme.id, conversation_id: ids.long, limit: 1 }, ctx);
    expect(first.data[0]?.body).toBe('message number 24');
    expect(first.data[0]?.author).toEqual({ type: 'contact', id: null, name: 'Ana Doe' });
  });

  it('keeps workspaces apart', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    expect(await callError(getConversation, { workspace_id: acme.id, conversation_id: ids.otherConversation }, ctx)).toMatch(/^not_found:/);
    expect(await callError(listConversationMessages, { workspace_id: acme.id, conversation_id: ids.otherConversation }, ctx)).toMatch(/^not_found:/);
    expect(await callError(getConversation, { workspace_id: 'other', conversation_id: ids.long }, ctx)).toMatch(/^not_found:/);
    expect(await callError(getConversation, { workspace_id: 'other', conversation_id: ids.otherConversation }, acmeCtx())).toMatch(/^forbidden:/);
    expect(await callError(listConversations, { workspace_id: other.id }, acmeCtx())).toMatch(/^forbidden:/);
  });
});

interface Hit extends Summary {
  matches: Array<{ message_id: string; created_at: string; snippet: string }>;
}

describe('search_conversations', () => {
  it('ranks the closer match first, and a quoted phrase matches only the phrase', async () => {
    const ctx = acmeCtx();
    const words = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'double charge' }, ctx);
    // Short messages with both words adjacent outrank the long one where they are far apart.
    expect(words.data.map((h) => h.id).slice(0, 2).sort()).toEqual([ids.doubleCharge, ids.oldDoubleCharge].sort());
    expect(words.data.map((h) => h.id)[2]).toBe(ids.wordsOnly);
    const phrase = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: '"double charge"' }, ctx);
    expect(phrase.data.map((h) => h.id).sort()).toEqual([ids.doubleCharge, ids.oldDoubleCharge].sort());
    const hit = phrase.data.find((h) => h.id === ids.doubleCharge);
    expect(hit?.contact_name).toBe('Ana Doe');
    expect(hit?.matches).toHaveLength(1);
    expect(hit?.matches[0]?.snippet).toBe('There is a **double charge** on my card.');
    expect(hit?.matches[0]?.created_at).toBe(minute(400));
  });

  it('filters on the time of the matching message, the channel and the status', async () => {
    const ctx = acmeCtx();
    const recent = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'double charge', created_after: '2026-01-01T00:00:00Z' }, ctx);
    expect(recent.data.map((h) => h.id)).not.toContain(ids.oldDoubleCharge);
    const old = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'double', created_before: '2026-01-01T00:00:00Z' }, ctx);
    expect(old.data.map((h) => h.id)).toEqual([ids.oldDoubleCharge]);
    const email = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'double', channel: 'email' }, ctx);
    expect(email.data.map((h) => h.id)).toEqual([ids.oldDoubleCharge]);
    const snoozed = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'double', status: 'snoozed' }, ctx);
    expect(snoozed.data.map((h) => h.id)).toEqual([ids.wordsOnly]);
  });

  it('pages through every hit once and refuses a cursor from another query', async () => {
    const ctx = acmeCtx();
    const all = (await collectPages<Hit>(searchConversations, { workspace_id: acme.id, query: 'refund' }, ctx, 3)).items;
    expect(all).toHaveLength(7);
    expect(new Set(all.map((h) => h.id)).size).toBe(7);
    const first = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'refund', limit: 3 }, ctx);
    const error = await callError(searchConversations, { workspace_id: acme.id, query: 'deposit', limit: 3, cursor: first.next_cursor }, ctx);
    expect(error).toMatch(/^invalid_argument: cursor/);
  });

  it('refuses a query without searchable words and never shows another workspace', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    expect(await callError(searchConversations, { workspace_id: acme.id, query: '"" !!! --' }, ctx)).toMatch(/^invalid_argument: query/);
    const hits = await callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'other workspace' }, ctx);
    expect(hits.data).toHaveLength(0);
  });
});

describe('send_conversation_message', () => {
  async function outboxFor(messageId: string) {
    return t.store.db.selectFrom('outbox').selectAll().where('message_id', '=', messageId).execute();
  }

  it('stores a queued message, updates the conversation and contact, and queues one delivery', async () => {
    const ctx = acmeCtx();
    const sent = await callOk<Message & { conversation_status: string; sender: { id: string } }>(
      sendConversationMessage,
      { workspace_id: 'acme-hotels', conversation_id: ids.long, body: '  Your refund is on its way.  ' },
      ctx,
    );
    expect(sent).toMatchObject({
      status: 'queued',
      body: 'Your refund is on its way.',
      direction: 'outbound',
      author: { type: 'user', id: null, name: 'API' },
      created_at: '2026-03-01T12:00:00.000Z',
      conversation_status: 'open',
      sender: { id: ids.smsDefault },
    });
    const stored = await t.store.db.selectFrom('messages').selectAll().where('id', '=', sent.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'queued', conversation_id: ids.long, sender_id: ids.smsDefault, workspace_id: acme.id });
    const outbox = await outboxFor(sent.id);
    expect(outbox).toHaveLength(1);
    expect(JSON.parse(outbox[0]?.payload ?? '{}')).toMatchObject({
      message_id: sent.id,
      channel: 'sms',
      to: { contact_id: ids.ana, address: '+1 415 555 0100' },
      from: { sender_id: ids.smsDefault, address: '+14155550199' },
      body: 'Your refund is on its way.',
      subject: null,
    });
    const conversation = await callOk<Summary>(getConversation, { workspace_id: acme.id, conversation_id: ids.long }, ctx);
    expect(conversation).toMatchObject({ message_count: 1, last_message_preview: 'Your refund is on its way.', updated_at: '2026-03-01T12:00:00.000Z' });
    const contact = await t.store.db.selectFrom('contacts').selectAll().where('id', '=', ids.ana).executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ last_channel: 'sms', last_message_preview: 'Your refund is on its way.', last_message_at: '2026-03-01T12:00:00.000Z' });
    const latest = await callOk<Page<Message>>(listConversationMessages, { workspace_id: acme.id, conversation_id: ids.long, limit: 1 }, ctx);
    expect(latest.data[0]?.id).toBe(sent.id);
  });

  it('is found by the next identical search, as is the conversation it reopens (cached rankings are retired)', async () => {
    const ctx = acmeCtx();
    const search = (status?: string) =>
      callOk<Page<Hit>>(searchConversations, { workspace_id: acme.id, query: 'xylophone', ...(status ? { status } : {}) }, ctx);
    expect((await search()).data).toEqual([]);
    expect((await search('open')).data).toEqual([]);
    await t.store.db.updateTable('conversations').set({ status: 'closed' }).where('id', '=', ids.oldDoubleCharge).execute();
    const sent = await callOk<Message>(sendConversationMessage, { workspace_id: acme.id, conversation_id: ids.oldDoubleCharge, body: 'The xylophone is at the desk.' }, ctx);
    expect((await search()).data.map((hit) => hit.matches.map((m) => m.message_id))).toEqual([[sent.id]]);
    expect((await search('open')).data.map((hit) => hit.id)).toEqual([ids.oldDoubleCharge]);
  });

  it('reopens a closed conversation, uses a chosen sender and names the signed-in user', async () => {
    const ctx = testContext(t.store, { ...credentialFor([acme]), kind: 'oauth', userId: ids.maya }, { now: () => new Date('2026-03-02T00:00:00Z') });
    const sent = await callOk<Message & { conversation_status: string; sender: { id: string } }>(
      sendConversationMessage,
      { workspace_id: acme.id, conversation_id: ids.closed, body: 'Following up', sender_id: ids.smsSecond },
      ctx,
    );
    expect(sent).toMatchObject({ conversation_status: 'open', sender: { id: ids.smsSecond }, author: { type: 'user', id: ids.maya, name: 'Maya Lopez' } });
    const row = await t.store.db.selectFrom('conversations').select('status').where('id', '=', ids.closed).executeTakeFirstOrThrow();
    expect(row.status).toBe('open');
  });

  it('sends email with a reply subject to the contact\'s email address', async () => {
    const sent = await callOk<Message>(sendConversationMessage, { workspace_id: acme.id, conversation_id: ids.oldDoubleCharge, body: 'We refunded it.' }, acmeCtx());
    const payload = JSON.parse((await outboxFor(sent.id))[0]?.payload ?? '{}');
    expect(payload).toMatchObject({ channel: 'email', subject: 'Re: Billing', to: { address: 'ana@example.com' }, from: { sender_id: ids.emailDefault } });
  });

  it('refuses bad senders, unreachable contacts, voice and bad bodies, writing nothing', async () => {
    const ctx = acmeCtx();
    const before = { messages: await count('messages'), outbox: await count('outbox') };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ conversation_id: ids.long, sender_id: ids.emailDefault }, /^invalid_argument: sender_id .* sends on email/],
      [{ conversation_id: ids.long, sender_id: ids.otherSms }, /^invalid_argument: sender_id .* is not a sender of this workspace/],
      [{ conversation_id: ids.long, sender_id: 'sd_nosuchsender' }, /^invalid_argument: sender_id/],
      [{ conversation_id: ids.email }, /^invalid_argument: contact .* has no email address/],
      [{ conversation_id: ids.voice }, /^invalid_argument: written messages cannot be sent on the voice channel/],
      [{ conversation_id: ids.long, body: 'x'.repeat(10_001) }, /^invalid_argument: body/],
      [{ conversation_id: ids.long, body: '   ' }, /^invalid_argument: body/],
      [{ conversation_id: ids.otherConversation }, /^not_found: Conversation/],
    ];
    for (const [args, expected] of cases) {
      expect(await callError(sendConversationMessage, { workspace_id: acme.id, body: 'hello', ...args }, ctx)).toMatch(expected);
    }
    expect({ messages: await count('messages'), outbox: await count('outbox') }).toEqual(before);
    const conversation = await t.store.db.selectFrom('conversations').select('message_count').where('id', '=', ids.voice).executeTakeFirstOrThrow();
    expect(conversation.message_count).toBe(0);
  });

  it('is refused for read-only credentials, and forbidden on ungranted workspaces', async () => {
    expect(await preflightOutcome(t.store, credentialFor([acme], 'read_only'), sendConversationMessage)).toBe('insufficient_scope');
    expect(await callError(sendConversationMessage, { workspace_id: other.id, conversation_id: ids.otherConversation, body: 'hi' }, acmeCtx())).toMatch(/^forbidden:/);
  });

  it('sends once for a retried idempotency key', async () => {
    const ctx = acmeCtx();
    const args = { workspace_id: acme.id, conversation_id: ids.doubleCharge, body: 'Refund issued.', idempotency_key: 'send-1' };
    const first = await callOk<Message>(sendConversationMessage, args, ctx);
    const retry = await callOk<Message>(sendConversationMessage, args, ctx);
    expect(retry.id).toBe(first.id);
    const rows = await t.store.db.selectFrom('messages').select('id').where('conversation_id', '=', ids.doubleCharge).where('direction', '=', 'outbound').execute();
    expect(rows).toHaveLength(1);
    expect(await outboxFor(first.id)).toHaveLength(1);
  });
});
