import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import type { Channel, Priority, TicketStatus, WaitingOn } from '../src/store/schema.js';
import { getTicket, listTicketMessages, listTickets, searchTickets, sendTicketMessage } from '../src/tools/tickets.js';
import { collectPages } from './collect-pages.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, preflightOutcome, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const MAYA = 'us_maya1';
const ids = {
  ana: '',
  bo: '',
  unreachable: '',
  emailSender: '',
  smsSender: '',
  otherTicket: '',
  thread: '',
  doubleCharge: '',
  wordsOnly: '',
  resolved: '',
  phone: '',
  noContact: '',
  noAddress: '',
  boEmail: '',
};

interface Page<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}
interface Ticket {
  id: string;
  status: TicketStatus;
  waiting_on: WaitingOn;
  priority: Priority;
  tags: string[];
  contact_name: string | null;
  assignee: { id: string; name: string } | null;
  updated_at: string;
}
interface Hit extends Ticket {
  matches: Array<{ message_id: string | null; created_at: string; snippet: string }>;
}
interface TicketMessage {
  id: string;
  body: string;
  internal: boolean;
  status: string | null;
  author: { type: string; id: string | null; name: string | null };
  created_at: string;
}
interface SendResult extends TicketMessage {
  ticket_id: string;
  channel: Channel | null;
  ticket_status: TicketStatus;
  waiting_on: WaitingOn;
}

const minute = (m: number) => new Date(Date.UTC(2026, 1, 1, 0, m)).toISOString();
const NOW = '2026-03-01T12:00:00.000Z';

async function addContact(workspaceId: string, first: string, email: string | null, phone: string | null): Promise<string> {
  const id = newId('ct');
  await t.store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: workspaceId,
      first_name: first,
      last_name: 'Doe',
      email,
      email_norm: email,
      phone,
      phone_norm: phone ? phone.replace(/\D/g, '') : null,
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
    })
    .execute();
  return id;
}

async function addSender(workspaceId: string, channel: Channel, address: string): Promise<string> {
  const id = newId('sd');
  await t.store.db
    .insertInto('senders')
    .values({ id, workspace_id: workspaceId, channel, address, display_name: `Acme ${channel}`, is_default: 1, created_at: minute(0) })
    .execute();
  return id;
}

interface TicketFixture {
  subject?: string;
  summary?: string | null;
  status?: TicketStatus;
  waiting_on?: WaitingOn;
  priority?: Priority;
  tags?: string[];
  contact_id?: string | null;
  assignee_id?: string | null;
  source?: string | null;
}

async function addTicket(workspaceId: string, at: string, f: TicketFixture = {}): Promise<string> {
  const id = newId('tk');
  const tags = f.tags ?? [];
  await t.store.db
    .insertInto('tickets')
    .values({
      id,
      workspace_id: workspaceId,
      subject: f.subject ?? 'Question about my stay',
      summary: f.summary ?? null,
      status: f.status ?? 'new',
      waiting_on: f.waiting_on ?? 'team',
      priority: f.priority ?? 'normal',
      tags: JSON.stringify(tags),
      contact_id: f.contact_id === undefined ? ids.ana : f.contact_id,
      assignee_id: f.assignee_id ?? null,
      external_ticket_id: null,
      source: f.source === undefined ? 'email' : f.source,
      created_at: at,
      updated_at: at,
    })
    .execute();
  for (const tag of tags) await t.store.db.insertInto('ticket_tags').values({ ticket_id: id, workspace_id: workspaceId, tag }).execute();
  return id;
}

async function addTicketMessage(ticketId: string, workspaceId: string, body: string, at: string, internal = false): Promise<string> {
  const id = newId('tm');
  await t.store.db
    .insertInto('ticket_messages')
    .values({
      id,
      workspace_id: workspaceId,
      ticket_id: ticketId,
      direction: internal ? 'outbound' : 'inbound',
      author_type: internal ? 'user' : 'contact',
      author_id: null,
      author_name: internal ? 'Maya Lopez' : 'Ana Doe',
      body,
      internal: internal ? 1 : 0,
      status: null,
      created_at: at,
    })
    .execute();
  return id;
}

async function counts() {
  const n = async (table: 'ticket_messages' | 'outbox') =>
    Number((await t.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { messages: await n('ticket_messages'), outbox: await n('outbox') };
}


const acmeCtx = () => testContext(t.store, credentialFor([acme]), { now: () => new Date(NOW) });

const STATUSES: TicketStatus[] = ['new', 'pending', 'resolved', 'closed'];
const WAITING: WaitingOn[] = ['team', 'customer', 'third_party', 'none'];
const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'urgent'];

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await t.store.db.insertInto('users').values({ id: MAYA, email: 'maya@acme.test', name: 'Maya Lopez', password_hash: null, created_at: minute(0) }).execute();
  ids.ana = await addContact(acme.id, 'Ana', 'ana@example.com', '+1 415 555 0100');
  ids.bo = await addContact(acme.id, 'Bo', null, '+1 415 555 0101');
  ids.unreachable = await addContact(acme.id, 'Cy', null, null);
  ids.emailSender = await addSender(acme.id, 'email', 'help@acme.test');
  ids.smsSender = await addSender(acme.id, 'sms', '+14155550199');
  const otherContact = await addContact(other.id, 'Zed', 'zed@example.com', null);
  ids.otherTicket = await addTicket(other.id, minute(1), { contact_id: otherContact, subject: 'double charge elsewhere' });

  // 32 tickets cycling through statuses, waiting_on and priorities; pairs share updated_at.
  for (let i = 0; i < 32; i++) {
    await addTicket(acme.id, minute(100 + Math.floor(i / 2)), {
      status: STATUSES[i % 4],
      waiting_on: WAITING[Math.floor(i / 4) % 4],
      priority: PRIORITIES[Math.floor(i / 16) + (i % 2) * 2],
      tags: i % 8 === 0 ? ['Billing', 'refund'] : i % 8 === 1 ? ['wifi'] : [],
      contact_id: i % 4 === 3 ? ids.bo : ids.ana,
      assignee_id: i % 3 === 0 ? MAYA : null,
    });
  }
  ids.thread = await addTicket(acme.id, minute(300));
  for (let i = 0; i < 21; i++) await addTicketMessage(ids.thread, acme.id, `reply number ${i}`, minute(200 + Math.floor(i / 4)), i % 5 === 4);

  ids.doubleCharge = await addTicket(acme.id, minute(400), { subject: 'Double charge on my card', summary: 'Guest was billed twice.' });
  await addTicketMessage(ids.doubleCharge, acme.id, 'I see a double charge for the same night.', minute(400));
  ids.wordsOnly = await addTicket(acme.id, minute(401), { subject: 'Minibar', status: 'resolved' });
  await addTicketMessage(ids.wordsOnly, acme.id, 'The charge for the minibar is wrong, please double check the bill and the parking fee too.', minute(401));
  for (let i = 0; i < 5; i++) await addTicket(acme.id, minute(500 + i), { subject: `Late checkout request ${i}` });

  ids.resolved = await addTicket(acme.id, minute(600), { status: 'resolved', waiting_on: 'none' });
  ids.phone = await addTicket(acme.id, minute(601), { source: 'phone' });
  ids.boEmail = await addTicket(acme.id, minute(602), { contact_id: ids.bo, source: 'email' });
  ids.noContact = await addTicket(acme.id, minute(603), { contact_id: null, source: null });
  ids.noAddress = await addTicket(acme.id, minute(604), { contact_id: ids.unreachable });
});
afterAll(() => t.cleanup());

describe('list_tickets and get_ticket', () => {
  it('pages through every ticket exactly once, most recently updated first', async () => {
    const all = (await collectPages<Ticket>(listTickets, { workspace_id: 'acme-hotels' }, acmeCtx(), 6)).items;
    const stored = await t.store.db.selectFrom('tickets').select('id').where('workspace_id', '=', acme.id).execute();
    expect(all.map((x) => x.id).sort()).toEqual(stored.map((x) => x.id).sort());
    expect(all.map((x) => x.updated_at)).toEqual([...all.map((x) => x.updated_at)].sort().reverse());
  });

  it('filters by status (open = new + pending), waiting_on, priority, assignee, contact, tag and update time', async () => {
    const ctx = acmeCtx();
    const list = async (filters: Record<string, unknown>) =>
      (await callOk<Page<Ticket>>(listTickets, { workspace_id: acme.id, limit: 100, updated_before: minute(200), ...filters }, ctx)).data;
    const open = await list({ status: 'open' });
    expect(open).toHaveLength(16);
    expect(new Set(open.map((x) => x.status))).toEqual(new Set(['new', 'pending']));
    expect((await list({ status: 'closed' })).every((x) => x.status === 'closed')).toBe(true);
    expect(await list({ status: 'closed' })).toHaveLength(8);
    expect((await list({ waiting_on: 'third_party' })).map((x) => x.waiting_on)).toEqual(Array(8).fill('third_party'));
    expect((await list({ priority: 'urgent' })).map((x) => x.priority)).toEqual(Array(8).fill('urgent'));
    const mine = await list({ assignee_id: MAYA });
    expect(mine).toHaveLength(11);
    expect(mine[0]?.assignee).toEqual({ id: MAYA, name: 'Maya Lopez' });
    expect(await list({ contact_id: ids.bo })).toHaveLength(8);
    const billing = await list({ tag: 'billing' });
    expect(billing).toHaveLength(4);
    expect(billing[0]?.tags).toEqual(['Billing', 'refund']);
    expect(await list({ tag: 'wifi', status: 'pending' })).toHaveLength(4);
    const window = await list({ updated_after: minute(110), updated_before: minute(112) });
    expect(window).toHaveLength(4);
  });

  it('refuses a cursor from another filter set', async () => {
    const ctx = acmeCtx();
    const first = await callOk<Page<Ticket>>(listTickets, { workspace_id: acme.id, limit: 2 }, ctx);
    expect(await callError(listTickets, { workspace_id: acme.id, limit: 2, status: 'open', cursor: first.next_cursor }, ctx)).toMatch(/^invalid_argument: cursor/);
  });

  it('gets one ticket with its contact and assignee, only in its own workspace', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    const got = await callOk<Record<string, unknown>>(getTicket, { workspace_id: acme.id, ticket_id: ids.doubleCharge }, ctx);
    expect(got).toMatchObject({
      id: ids.doubleCharge,
      subject: 'Double charge on my card',
      summary: 'Guest was billed twice.',
      status: 'new',
      waiting_on: 'team',
      tags: [],
      contact_id: ids.ana,
      contact_name: 'Ana Doe',
      assignee: null,
      external_ticket_id: null,
      source: 'email',
    });
    expect(await callError(getTicket, { workspace_id: acme.id, ticket_id: ids.otherTicket }, ctx)).toMatch(/^not_found:/);
    expect(await callError(listTicketMessages, { workspace_id: 'other', ticket_id: ids.thread }, ctx)).toMatch(/^not_found:/);
    expect(await callError(getTicket, { workspace_id: 'other', ticket_id: ids.otherTicket }, acmeCtx())).toMatch(/^forbidden:/);
  });
});

describe('search_tickets', () => {
  it('ranks tickets matching subject and message above a loose match, with marked snippets', async () => {
    const ctx = acmeCtx();
    const words = await callOk<Page<Hit>>(searchTickets, { workspace_id: acme.id, query: 'double charge' }, ctx);
    expect(words.data.map((h) => h.id)).toEqual([ids.doubleCharge, ids.wordsOnly]);
    const phrase = await callOk<Page<Hit>>(searchTickets, { workspace_id: acme.id, query: '"double charge"' }, ctx);
    expect(phrase.data.map((h) => h.id)).toEqual([ids.doubleCharge]);
    const matches = phrase.data[0]?.matches ?? [];
    expect(matches.map((m) => m.message_id === null)).toEqual([true, false]);
    expect(matches[0]?.snippet).toContain('**Double charge**');
    expect(matches[1]?.snippet).toContain('**double charge**');
  });

  it('filters by status and update time, and pages through every hit once', async () => {
    const ctx = acmeCtx();
    const open = await callOk<Page<Hit>>(searchTickets, { workspace_id: acme.id, query: 'double', status: 'open' }, ctx);
    expect(open.data.map((h) => h.id)).toEqual([ids.doubleCharge]);
    const resolved = await callOk<Page<Hit>>(searchTickets, { workspace_id: acme.id, query: 'double', status: 'resolved' }, ctx);
    expect(resolved.data.map((h) => h.id)).toEqual([ids.wordsOnly]);
    const later = await callOk<Page<Hit>>(searchTickets, { workspace_id: acme.id, query: 'double', updated_after: minute(401) }, ctx);
    expect(later.data.map((h) => h.id)).toEqual([ids.wordsOnly]);
    const all = (await collectPages<Hit>(searchTickets, { workspace_id: acme.id, query: 'late checkout' }, ctx, 2)).items;
    expect(new Set(all.map((h) => h.id)).size).toBe(5);
    expect(all).toHaveLength(5);
  });

  it('refuses a cursor from another query and a query without words', async () => {
    const ctx = acmeCtx();
    const first = await callOk<Page<Hit>>(searchTickets, { workspace_id: acme.id, query: 'checkout', limit: 2 }, ctx);
    expect(await callError(searchTickets, { workspace_id: acme.id, query: 'late', limit: 2, cursor: first.next_cursor }, ctx)).toMatch(/^invalid_argument: cursor/);
    expect(await callError(searchTickets, { workspace_id: acme.id, query: '?!' }, ctx)).toMatch(/^invalid_argument: query/);
    const none = await callOk<Page<Hit>>(searchTickets, { workspace_id: acme.id, query: 'elsewhere' }, ctx);
    expect(none.data).toHaveLength(0);
  });
});

describe('list_ticket_messages', () => {
  it('pages through every message exactly once in both orders, with the internal flag', async () => {
    const ctx = acmeCtx();
    for (const order of ['asc', 'desc'] as const) {
      const all = (await collectPages<TicketMessage>(listTicketMessages, { workspace_id: acme.id, ticket_id: ids.thread, order }, ctx, 5)).items;
      const numbers = all.map((m) => Number(m.body.split(' ').pop()));
      const ascending = Array.from({ length: 21 }, (_, i) => i);
      expect(numbers).toEqual(order === 'asc' ? ascending : ascending.reverse());
      expect(all.filter((m) => m.internal).map((m) => Number(m.body.split(' ').pop())).sort((a, b) => a - b)).toEqual([4, 9, 14, 19]);
    }
  });
});

describe('send_ticket_message', () => {
  const outboxFor = (messageId: string) => t.store.db.selectFrom('outbox').selectAll().where('message_id', '=', messageId).execute();
  const ticketRow = (id: string) => t.store.db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('queues a public reply for delivery and sets the ticket pending, waiting on the customer', async () => {
    const sent = await callOk<SendResult>(sendTicketMessage, { workspace_id: 'acme-hotels', ticket_id: ids.doubleCharge, body: 'We refunded the second night.' }, acmeCtx());
    expect(sent).toMatchObject({
      internal: false,
      status: 'queued',
      channel: 'email',
      ticket_status: 'pending',
      waiting_on: 'customer',
      author: { type: 'user', id: null, name: 'API' },
      created_at: NOW,
    });
    const outbox = await outboxFor(sent.id);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.message_kind).toBe('ticket');
    expect(JSON.parse(outbox[0]?.payload ?? '{}')).toMatchObject({
      ticket_id: ids.doubleCharge,
      channel: 'email',
      to: { contact_id: ids.ana, address: 'ana@example.com' },
      from: { sender_id: ids.emailSender, address: 'help@acme.test' },
      subject: 'Re: Double charge on my card',
      body: 'We refunded the second night.',
    });
    expect(await ticketRow(ids.doubleCharge)).toMatchObject({ status: 'pending', waiting_on: 'customer', updated_at: NOW });
    const latest = await callOk<Page<TicketMessage>>(listTicketMessages, { workspace_id: acme.id, ticket_id: ids.doubleCharge, limit: 1 }, acmeCtx());
    expect(latest.data[0]).toMatchObject({ id: sent.id, status: 'queued', internal: false });
  });

  it('stores an internal note without delivering it or changing status', async () => {
    const before = await counts();
    const ctx = testContext(t.store, { ...credentialFor([acme]), kind: 'oauth', userId: MAYA }, { now: () => new Date(NOW) });
    const note = await callOk<SendResult>(sendTicketMessage, { workspace_id: acme.id, ticket_id: ids.resolved, body: 'Checked with finance.', internal: true }, ctx);
    expect(note).toMatchObject({ internal: true, status: null, channel: null, ticket_status: 'resolved', waiting_on: 'none', author: { id: MAYA, name: 'Maya Lopez' } });
    expect(await outboxFor(note.id)).toHaveLength(0);
    expect(await counts()).toEqual({ messages: before.messages + 1, outbox: before.outbox });
    expect(await ticketRow(ids.resolved)).toMatchObject({ status: 'resolved', waiting_on: 'none', updated_at: NOW });
  });

  it('reopens a resolved ticket on a public reply and picks the channel from the source and the contact', async () => {
    const ctx = acmeCtx();
    const reopened = await callOk<SendResult>(sendTicketMessage, { workspace_id: acme.id, ticket_id: ids.resolved, body: 'Is everything fine now?' }, ctx);
    expect(reopened).toMatchObject({ ticket_status: 'pending', waiting_on: 'customer' });
    const phone = await callOk<SendResult>(sendTicketMessage, { workspace_id: acme.id, ticket_id: ids.phone, body: 'Following up on your call.' }, ctx);
    expect(phone.channel).toBe('sms');
    expect(JSON.parse((await outboxFor(phone.id))[0]?.payload ?? '{}')).toMatchObject({ to: { address: '+1 415 555 0100' }, from: { sender_id: ids.smsSender }, subject: null });
    const noEmail = await callOk<SendResult>(sendTicketMessage, { workspace_id: acme.id, ticket_id: ids.boEmail, body: 'Texting you instead.' }, ctx);
    expect(noEmail.channel).toBe('sms');
  });

  it('refuses unreachable customers, bad bodies and foreign tickets, writing nothing', async () => {
    const ctx = acmeCtx();
    const before = await counts();
    const untouched = await ticketRow(ids.noContact);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ticket_id: ids.noContact }, /^invalid_argument: ticket .* has no contact/],
      [{ ticket_id: ids.noAddress }, /^invalid_argument: contact .* has no email address, phone number or WhatsApp number/],
      [{ ticket_id: ids.thread, body: 'y'.repeat(10_001) }, /^invalid_argument: body/],
      [{ ticket_id: ids.thread, body: ' \n ' }, /^invalid_argument: body/],
      [{ ticket_id: ids.otherTicket }, /^not_found: Ticket/],
    ];
    for (const [args, expected] of cases) {
      expect(await callError(sendTicketMessage, { workspace_id: acme.id, body: 'hello', ...args }, ctx)).toMatch(expected);
    }
    expect(await counts()).toEqual(before);
    expect(await ticketRow(ids.noContact)).toEqual(untouched);
    // An internal note needs no reachable customer.
    const note = await callOk<SendResult>(sendTicketMessage, { workspace_id: acme.id, ticket_id: ids.noContact, body: 'Who is this?', internal: true }, ctx);
    expect(note.internal).toBe(true);
  });

  it('is refused for read-only credentials, and forbidden on ungranted workspaces', async () => {
    expect(await preflightOutcome(t.store, credentialFor([acme], 'read_only'), sendTicketMessage)).toBe('insufficient_scope');
    expect(await callError(sendTicketMessage, { workspace_id: other.id, ticket_id: ids.otherTicket, body: 'hi' }, acmeCtx())).toMatch(/^forbidden:/);
  });
});
