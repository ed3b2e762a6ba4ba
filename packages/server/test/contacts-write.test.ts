import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import { createContact, patchContact, searchContacts, sendContactMessage } from '../src/tools/contacts.js';
import type { CallContext } from '../src/tools/define.js';
import { call, callError, callOk, createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let counter = 0;
const NOW = new Date('2026-03-01T12:00:00Z');

interface Contact {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  whatsapp: string | null;
  archived: boolean;
  ai_paused: boolean;
  custom_attributes: Record<string, unknown>;
  updated_at: string;
}
interface Sent {
  id: string;
  conversation_id: string;
  conversation_status: string;
  channel: string;
  subject: string | null;
  body: string;
  status: string;
  direction: string;
  sender: { id: string; address: string };
}

/** A workspace of its own per test, with an SMS and an email sender and two attribute definitions. */
async function setup(): Promise<{ ws: Workspace; ctx: CallContext; smsSender: string }> {
  const ws = await createWorkspace(t.store, `cw-${++counter}`);
  const smsSender = newId('sd');
  await t.store.db
    .insertInto('senders')
    .values([
      { id: smsSender, workspace_id: ws.id, channel: 'sms', address: '+14155550000', display_name: 'Front desk', is_default: 1, created_at: NOW.toISOString() },
      { id: newId('sd'), workspace_id: ws.id, channel: 'email', address: 'hello@acme.example', display_name: 'Acme', is_default: 1, created_at: NOW.toISOString() },
    ])
    .execute();
  await t.store.db
    .insertInto('custom_attributes')
    .values([
      { id: newId('ca'), workspace_id: ws.id, key: 'tier', label: 'Tier', type: 'enum', options: '["gold","silver"]', created_at: NOW.toISOString() },
      { id: newId('ca'), workspace_id: ws.id, key: 'nights', label: 'Nights', type: 'number', options: null, created_at: NOW.toISOString() },
    ])
    .execute();
  return { ws, ctx: testContext(t.store, credentialFor([ws]), { now: () => NOW }), smsSender };
}

async function contactRow(id: string) {
  return t.store.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function count(table: 'contacts' | 'conversations' | 'messages' | 'outbox', workspaceId: string): Promise<number> {
  const row = await t.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  return Number(row.n);
}

beforeAll(async () => {
  t = await createTestStore();
});
afterAll(() => t.cleanup());

describe('create_contact', () => {
  it('creates a contact with normalised search columns and custom attributes', async () => {
    const { ws, ctx } = await setup();
    const created = await callOk<Contact>(
      createContact,
      { workspace_id: ws.id, first_name: 'María', last_name: 'López', email: ' Maria.Lopez@Example.COM ', phone: '+1 (415) 555-0100', custom_attributes: { tier: 'gold', nights: 2 } },
      ctx,
    );
    expect(created).toMatchObject({ first_name: 'María', email: 'Maria.Lopez@Example.COM', phone: '+1 (415) 555-0100', whatsapp: null, archived: false, custom_attributes: { tier: 'gold', nights: 2 } });
    expect(created.id).toMatch(/^ct_/);
    const row = await contactRow(created.id);
    expect(row).toMatchObject({ email_norm: 'maria.lopez@example.com', phone_norm: '14155550100', whatsapp_norm: null, name_norm: 'maría lópez', created_at: NOW.toISOString() });
    const found = await callOk<{ data: Array<{ id: string }> }>(searchContacts, { workspace_id: ws.id, query: '415.555.0100', field: 'phone' }, ctx);
    expect(found.data.map((c) => c.id)).toEqual([created.id]);
  });

  it('refuses a taken email (any case) or phone (any formatting), naming the existing contact', async () => {
    const { ws, ctx } = await setup();
    const first = await callOk<Contact>(createContact, { workspace_id: ws.id, email: 'ana@example.com', phone: '+44 20 7946 0018' }, ctx);
    const byEmail = await callError(createContact, { workspace_id: ws.id, email: 'ANA@example.com' }, ctx);
    expect(byEmail).toMatch(/^conflict: contact ct_\w+ already has this email address/);
    expect(byEmail).toContain(first.id);
    const byPhone = await callError(createContact, { workspace_id: ws.id, phone: '442079460018' }, ctx);
    expect(byPhone).toMatch(/^conflict: .*phone number/);
    expect(byPhone).toContain(first.id);
    const result = await call(createContact, { workspace_id: ws.id, phone: '(44) 20-7946-0018' }, ctx);
    expect(result._meta).toMatchObject({ 'conduit/error': { code: 'conflict', existing_contact_id: first.id, field: 'phone' } });
    // The same email in another workspace is fine.
    const elsewhere = await setup();
    await callOk(createContact, { workspace_id: elsewhere.ws.id, email: 'ana@example.com' }, elsewhere.ctx);
    expect(await count('contacts', ws.id)).toBe(1);
  });

  it('validates addresses and custom attributes before writing anything', async () => {
    const { ws, ctx } = await setup();
    expect(await callError(createContact, { workspace_id: ws.id, first_name: 'Nobody' }, ctx)).toMatch(/^invalid_argument: a contact needs at least one of email, phone or whatsapp/);
    expect(await callError(createContact, { workspace_id: ws.id, email: 'not-an-email' }, ctx)).toMatch(/^invalid_argument: email: must be an email address/);
    expect(await callError(createContact, { workspace_id: ws.id, phone: '555-01' }, ctx)).toMatch(/^invalid_argument: phone: must be a phone number of 7-15 digits/);
    expect(await callError(createContact, { workspace_id: ws.id, whatsapp: '+1234567890123456' }, ctx)).toMatch(/^invalid_argument: whatsapp:/);
    expect(await callError(createContact, { workspace_id: ws.id, phone: 'call me 5550100' }, ctx)).toMatch(/^invalid_argument: phone:/);
    expect(await callError(createContact, { workspace_id: ws.id, email: 'a@example.com', custom_attributes: { tier: 'bronze' } }, ctx)).toMatch(
      /^invalid_argument: invalid custom attribute value: tier must be one of "gold", "silver"/,
    );
    expect(await callError(createContact, { workspace_id: ws.id, email: 'a@example.com', custom_attributes: { shoe: 1 } }, ctx)).toMatch(
      /^invalid_argument: unknown custom attribute key: shoe/,
    );
    expect(await count('contacts', ws.id)).toBe(0);
  });
});

describe('patch_contact', () => {
  it('changes only the given fields, null clears, and the _norm columns follow', async () => {
    const { ws, ctx } = await setup();
    const created = await callOk<Contact>(createContact, { workspace_id: ws.id, first_name: 'Ana', last_name: 'Silva', email: 'ana@example.com', phone: '+351 912 345 678' }, ctx);
    const patched = await callOk<Contact>(
      patchContact,
      { workspace_id: ws.id, contact_id: created.id, last_name: null, phone: '+351 913 000 111', whatsapp: '+351913000111', ai_paused: true },
      ctx,
    );
    expect(patched).toMatchObject({ first_name: 'Ana', last_name: null, email: 'ana@example.com', phone: '+351 913 000 111', whatsapp: '+351913000111', archived: false, ai_paused: true });
    expect(await contactRow(created.id)).toMatchObject({ name_norm: 'ana', phone_norm: '351913000111', whatsapp_norm: '351913000111', email_norm: 'ana@example.com' });

    const cleared = await callOk<Contact>(patchContact, { workspace_id: ws.id, contact_id: created.id, email: null, archived: true }, ctx);
    expect(cleared).toMatchObject({ email: null, archived: true, phone: '+351 913 000 111' });
    expect((await contactRow(created.id)).email_norm).toBeNull();
    // The old number no longer finds the contact; the new one does.
    const search = (query: string) => callOk<{ data: Array<{ id: string }> }>(searchContacts, { workspace_id: ws.id, query, field: 'phone' }, ctx);
    expect((await search('912 345 678')).data).toEqual([]);
    expect((await search('913000111')).data.map((c) => c.id)).toEqual([created.id]);
  });

  it('keeps at least one address and refuses an empty patch', async () => {
    const { ws, ctx } = await setup();
    const created = await callOk<Contact>(createContact, { workspace_id: ws.id, email: 'solo@example.com', phone: '+1 415 555 0199' }, ctx);
    expect(await callError(patchContact, { workspace_id: ws.id, contact_id: created.id, email: null, phone: null }, ctx)).toMatch(
      /^invalid_argument: a contact needs at least one of email, phone or whatsapp/,
    );
    expect(await callError(patchContact, { workspace_id: ws.id, contact_id: created.id }, ctx)).toMatch(/^invalid_argument: give at least one field/);
    expect(await contactRow(created.id)).toMatchObject({ email: 'solo@example.com', phone: '+1 415 555 0199' });
  });

  it('keeps email and phone unique, but lets a contact keep or re-case its own', async () => {
    const { ws, ctx } = await setup();
    const a = await callOk<Contact>(createContact, { workspace_id: ws.id, email: 'a@example.com', phone: '+1 415 555 0101' }, ctx);
    const b = await callOk<Contact>(createContact, { workspace_id: ws.id, email: 'b@example.com' }, ctx);
    const error = await callError(patchContact, { workspace_id: ws.id, contact_id: b.id, email: 'A@EXAMPLE.com' }, ctx);
    expect(error).toMatch(/^conflict: /);
    expect(error).toContain(a.id);
    expect(await callError(patchContact, { workspace_id: ws.id, contact_id: b.id, phone: '14155550101' }, ctx)).toContain(a.id);
    const recased = await callOk<Contact>(patchContact, { workspace_id: ws.id, contact_id: a.id, email: 'A@Example.com', phone: '+1 (415) 555-0101' }, ctx);
    expect(recased.email).toBe('A@Example.com');
    expect((await contactRow(b.id)).email).toBe('b@example.com');
  });
});

describe('send_contact_message', () => {
  it('opens a conversation on the first send and reuses it on the second, queueing each for delivery', async () => {
    const { ws, ctx, smsSender } = await setup();
    const contact = await callOk<Contact>(createContact, { workspace_id: ws.id, first_name: 'Leo', email: 'leo@example.com', phone: '+1 415 555 0142' }, ctx);
    const first = await callOk<Sent>(sendContactMessage, { workspace_id: ws.id, contact_id: contact.id, channel: 'sms', body: 'Your room is ready.' }, ctx);
    expect(first).toMatchObject({ direction: 'outbound', channel: 'sms', status: 'queued', body: 'Your room is ready.', conversation_status: 'open', sender: { id: smsSender } });
    const second = await callOk<Sent>(sendContactMessage, { workspace_id: ws.id, contact_id: contact.id, channel: 'sms', body: 'Checkout is at 11.' }, ctx);
    expect(second.conversation_id).toBe(first.conversation_id);
    expect(second.id).not.toBe(first.id);
    expect(await count('conversations', ws.id)).toBe(1);
    expect(await count('messages', ws.id)).toBe(2);
    const outbox = await t.store.db.selectFrom('outbox').select(['message_id', 'payload']).where('workspace_id', '=', ws.id).orderBy('seq').execute();
    expect(outbox.map((o) => o.message_id)).toEqual([first.id, second.id]);
    expect(JSON.parse(outbox[0]!.payload)).toMatchObject({ channel: 'sms', to: { contact_id: contact.id, address: '+1 415 555 0142' } });
    const conversation = await t.store.db.selectFrom('conversations').selectAll().where('id', '=', first.conversation_id).executeTakeFirstOrThrow();
    expect(conversation).toMatchObject({ contact_id: contact.id, channel: 'sms', message_count: 2, last_message_preview: 'Checkout is at 11.' });

    // Another channel is another conversation; an email one takes the subject.
    const email = await callOk<Sent>(sendContactMessage, { workspace_id: ws.id, contact_id: contact.id, channel: 'email', subject: 'Your stay', body: 'Welcome!' }, ctx);
    expect(email.conversation_id).not.toBe(first.conversation_id);
    expect(email.subject).toBe('Your stay');
  });

  it('refuses a subject off email and a channel the contact has no address for, writing nothing', async () => {
    const { ws, ctx } = await setup();
    const contact = await callOk<Contact>(createContact, { workspace_id: ws.id, email: 'mia@example.com' }, ctx);
    expect(await callError(sendContactMessage, { workspace_id: ws.id, contact_id: contact.id, channel: 'sms', subject: 'Hi', body: 'Hello' }, ctx)).toMatch(
      /^invalid_argument: subject is only used on the email channel/,
    );
    expect(await callError(sendContactMessage, { workspace_id: ws.id, contact_id: contact.id, channel: 'whatsapp', body: 'Hello' }, ctx)).toMatch(
      /^invalid_argument: contact ct_\w+ has no WhatsApp number/,
    );
    expect(await callError(sendContactMessage, { workspace_id: ws.id, contact_id: contact.id, channel: 'sms', body: 'Hello' }, ctx)).toMatch(/has no phone number/);
    expect(await count('conversations', ws.id)).toBe(0);
    expect(await count('messages', ws.id)).toBe(0);
    expect(await count('outbox', ws.id)).toBe(0);
  });

  it('replays a retried send with the same idempotency key instead of sending twice', async () => {
    const { ws, ctx } = await setup();
    const contact = await callOk<Contact>(createContact, { workspace_id: ws.id, phone: '+1 415 555 0177' }, ctx);
    const args = { workspace_id: ws.id, contact_id: contact.id, channel: 'sms', body: 'See you soon', idempotency_key: 'send-1' };
    const first = await callOk<Sent>(sendContactMessage, args, ctx);
    const retry = await call(sendContactMessage, args, ctx);
    expect((retry.structuredContent as unknown as Sent).id).toBe(first.id);
    expect(await count('messages', ws.id)).toBe(1);
    expect(await count('outbox', ws.id)).toBe(1);
  });
});
