import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/auth/passwords.js';
import { normalizeEmail, normalizePhone } from '../src/core/normalize.js';
import { seedDemo, type DemoResult } from '../src/demo/seed.js';
import { FIRST_NAMES, LAST_NAMES, asciiFold } from '../src/demo/names.js';
import { streamRng } from '../src/demo/random.js';
import { childPath } from '../src/knowledge/chunking.js';
import { previewOf } from '../src/messaging/delivery.js';
import { parseSearchQuery } from '../src/store/search.js';
import { createTestStore, type TestStore } from './helpers.js';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let t: TestStore;
let twin: TestStore;
let result: DemoResult;
let acme: string;
let clinic: string;

beforeAll(async () => {
  t = await createTestStore();
  twin = await createTestStore();
  result = await seedDemo(t.store, { now: NOW });
  await seedDemo(twin.store, { now: NOW });
  acme = result.workspaces.find((w) => w.slug === 'acme-hotels')?.id ?? '';
  clinic = result.workspaces.find((w) => w.slug === 'northwind-clinic')?.id ?? '';
});

afterAll(async () => {
  await t.cleanup();
  await twin.cleanup();
});

async function countIn(table: 'contacts' | 'conversations' | 'messages' | 'tickets' | 'calls' | 'appointments' | 'reservations' | 'knowledge_nodes' | 'agents' | 'skills', workspaceId: string): Promise<number> {
  const row = await t.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Rows of a consistency query that should return nothing. */
async function violations(query: ReturnType<typeof sql>): Promise<unknown[]> {
  return (await query.execute(t.store.db)).rows;
}

describe('seedDemo', () => {
  it('creates both workspaces with volumes in the expected ranges', async () => {
    expect(result.workspaces.map((w) => [w.slug, w.name])).toEqual([
      ['acme-hotels', 'Acme Hotels'],
      ['northwind-clinic', 'Northwind Clinic'],
    ]);
    expect(await countIn('contacts', acme)).toBe(300);
    expect(await countIn('contacts', clinic)).toBe(60);
    expect(await countIn('conversations', acme)).toBeGreaterThanOrEqual(400);
    expect(await countIn('conversations', acme)).toBeLessThan(420);
    expect(await countIn('messages', acme)).toBeGreaterThan(2000);
    expect(await countIn('messages', acme)).toBeLessThan(4000);
    expect(await countIn('tickets', acme)).toBeGreaterThanOrEqual(150);
    expect(await countIn('calls', acme)).toBe(100);
    expect(await countIn('appointments', acme)).toBe(80);
    expect(await countIn('appointments', clinic)).toBeGreaterThan(await countIn('appointments', acme));
    expect(await countIn('reservations', acme)).toBe(200);
    expect(await countIn('reservations', clinic)).toBe(0);
    expect(await countIn('knowledge_nodes', acme)).toBeGreaterThanOrEqual(25);
    expect(await countIn('agents', acme)).toBe(3);
    expect(await countIn('skills', acme)).toBe(5);
    // The reported counts are the rows really written.
    const messages = await t.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(result.counts.messages).toBe(Number(messages.n));
    expect(result.counts.knowledge_chunks).toBeGreaterThan(0);
  });

  it('writes the same content for the same seed and now, and different content for another seed', async () => {
    const contacts = (s: TestStore) =>
      s.store.db.selectFrom('contacts').select(['id', 'first_name', 'last_name', 'email', 'phone']).orderBy('seq').execute();
    const bodies = (s: TestStore) => s.store.db.selectFrom('messages').select(['id', 'body', 'created_at']).orderBy('seq').execute();
    expect(await contacts(twin)).toEqual(await contacts(t));
    expect(await bodies(twin)).toEqual(await bodies(t));
    // The password is the one thing that is random on every run.
    const hashes = async (s: TestStore) =>
      (await s.store.db.selectFrom('users').select('password_hash').where('email', '=', result.user.email).executeTakeFirstOrThrow()).password_hash;
    expect(await hashes(twin)).not.toBe(await hashes(t));
  });

  it('keeps every conversation message in its own workspace and the summary columns in step', async () => {
    expect(await violations(sql`
      SELECT m.id FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id
      WHERE c.id IS NULL OR c.workspace_id <> m.workspace_id OR c.channel <> m.channel`)).toEqual([]);
    expect(await violations(sql`
      SELECT c.id FROM conversations c JOIN contacts p ON p.id = c.contact_id WHERE p.workspace_id <> c.workspace_id`)).toEqual([]);
    expect(await violations(sql`
      SELECT c.id FROM conversations c
      WHERE c.message_count <> (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
        OR c.last_message_at <> (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = c.id)
        OR c.created_at <> (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = c.id)`)).toEqual([]);
    const lasts = await t.store.db
      .selectFrom('conversations as c')
      .innerJoin('messages as m', (join) => join.onRef('m.conversation_id', '=', 'c.id').onRef('m.created_at', '=', 'c.last_message_at'))
      .select(['c.id', 'c.last_message_preview', 'm.body'])
      .execute();
    expect(lasts.length).toBeGreaterThanOrEqual(result.counts.conversations ?? 0);
    for (const row of lasts) expect(row.last_message_preview).toBe(previewOf(row.body));
    // A contact's last_* columns describe its most recent conversation; contacts without one have none.
    expect(await violations(sql`
      SELECT p.id FROM contacts p
      WHERE p.last_message_at IS DISTINCT FROM (SELECT max(c.last_message_at) FROM conversations c WHERE c.contact_id = p.id)
        OR (p.last_message_at IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM conversations c WHERE c.contact_id = p.id AND c.channel = p.last_channel
            AND c.last_message_at = p.last_message_at AND c.last_message_preview = p.last_message_preview))`)).toEqual([]);
  });

  it('gives messages sensible authors and delivery states', async () => {
    expect(await violations(sql`
      SELECT id FROM messages WHERE
        (direction = 'inbound' AND (author_type <> 'contact' OR status IS NOT NULL OR sender_id IS NOT NULL))
        OR (author_type IN ('user', 'agent') AND (direction <> 'outbound' OR status NOT IN ('sent', 'delivered', 'failed') OR sender_id IS NULL))
        OR (author_type = 'system' AND status IS NOT NULL)
        OR created_at > ${NOW.toISOString()} OR created_at NOT LIKE '%Z'`)).toEqual([]);
    // Team authors and assignees are members of the workspace.
    expect(await violations(sql`
      SELECT m.id FROM messages m WHERE m.author_type = 'user' AND NOT EXISTS (
        SELECT 1 FROM memberships s WHERE s.user_id = m.author_id AND s.workspace_id = m.workspace_id)`)).toEqual([]);
    expect(await violations(sql`
      SELECT m.id FROM messages m WHERE m.author_type = 'agent' AND NOT EXISTS (
        SELECT 1 FROM agents a WHERE a.id = m.author_id AND a.workspace_id = m.workspace_id AND a.name = m.author_name)`)).toEqual([]);
    expect(await violations(sql`
      SELECT t.id FROM tickets t WHERE t.assignee_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM memberships s WHERE s.user_id = t.assignee_id AND s.workspace_id = t.workspace_id)`)).toEqual([]);
    const kinds = await t.store.db.selectFrom('messages').select(['author_type', 'status']).distinct().execute();
    expect(new Set(kinds.map((k) => k.author_type))).toEqual(new Set(['contact', 'user', 'agent', 'system']));
    expect(new Set(kinds.map((k) => k.status))).toEqual(new Set([null, 'sent', 'delivered', 'failed']));
  });

  it('mirrors ticket tags in ticket_tags and keeps ticket messages with their ticket', async () => {
    const tickets = await t.store.db.selectFrom('tickets').select(['id', 'tags']).execute();
    const tagRows = await t.store.db.selectFrom('ticket_tags').select(['ticket_id', 'tag']).execute();
    const byTicket = new Map<string, string[]>();
    for (const row of tagRows) byTicket.set(row.ticket_id, [...(byTicket.get(row.ticket_id) ?? []), row.tag]);
    for (const ticket of tickets) {
      expect((JSON.parse(ticket.tags) as string[]).sort(), ticket.id).toEqual((byTicket.get(ticket.id) ?? []).sort());
    }
    expect(await violations(sql`
      SELECT g.ticket_id FROM ticket_tags g JOIN tickets t ON t.id = g.ticket_id WHERE t.workspace_id <> g.workspace_id`)).toEqual([]);
    expect(await violations(sql`
      SELECT m.id FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.workspace_id <> m.workspace_id
        OR (m.internal = 1 AND m.status IS NOT NULL)`)).toEqual([]);
    expect(await violations(sql`
      SELECT t.id FROM tickets t WHERE t.updated_at <> (SELECT max(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.id)`)).toEqual([]);
    // A new ticket has not been answered yet (internal notes aside).
    expect(await violations(sql`
      SELECT m.id FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id
      WHERE t.status = 'new' AND m.direction = 'outbound' AND m.internal = 0`)).toEqual([]);
    const notes = await t.store.db.selectFrom('ticket_messages').select('id').where('internal', '=', 1).execute();
    expect(notes.length).toBeGreaterThan(10);
    const variety = await t.store.db.selectFrom('tickets').select(['status', 'waiting_on', 'priority']).where('workspace_id', '=', acme).execute();
    expect(new Set(variety.map((v) => v.status))).toEqual(new Set(['new', 'pending', 'resolved', 'closed']));
    expect(new Set(variety.map((v) => v.waiting_on))).toEqual(new Set(['team', 'customer', 'third_party', 'none']));
    expect(new Set(variety.map((v) => v.priority))).toEqual(new Set(['low', 'normal', 'high', 'urgent']));
  });

  it('links agents to real skills and builds a consistent knowledge tree', async () => {
    const skills = await t.store.db.selectFrom('skills').select(['id', 'workspace_id']).execute();
    for (const agent of await t.store.db.selectFrom('agents').select(['workspace_id', 'skill_ids', 'channels', 'guardrails']).execute()) {
      const ids = JSON.parse(agent.skill_ids) as string[];
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(skills.some((s) => s.id === id && s.workspace_id === agent.workspace_id)).toBe(true);
      expect(Array.isArray(JSON.parse(agent.channels))).toBe(true);
      expect(Array.isArray(JSON.parse(agent.guardrails))).toBe(true);
    }
    const nodes = await t.store.db.selectFrom('knowledge_nodes').selectAll().execute();
    const byId = new Map(nodes.map((n) => [n.id, n]));
    for (const node of nodes) {
      const parent = node.parent_id ? byId.get(node.parent_id) : undefined;
      if (node.parent_id) expect(parent?.workspace_id).toBe(node.workspace_id);
      expect(node.path).toBe(childPath(parent?.path ?? null, node.title));
      expect(node.kind === 'folder' ? node.body === '' : node.body.length > 0).toBe(true);
    }
    expect(await violations(sql`
      SELECT k.id FROM knowledge_chunks k JOIN knowledge_nodes n ON n.id = k.node_id
      WHERE n.workspace_id <> k.workspace_id OR n.kind <> 'article'`)).toEqual([]);
  });

  it('normalises contacts like the contact tools and covers every attribute type', async () => {
    const contacts = await t.store.db.selectFrom('contacts').selectAll().execute();
    for (const c of contacts) {
      expect(c.email_norm).toBe(c.email === null ? null : normalizeEmail(c.email));
      expect(c.phone_norm).toBe(c.phone === null ? null : normalizePhone(c.phone));
      expect(c.whatsapp_norm).toBe(c.whatsapp === null ? null : normalizePhone(c.whatsapp));
      expect(c.name_norm).toBe(`${c.first_name ?? ''} ${c.last_name ?? ''}`.toLowerCase().trim());
      expect(c.email ?? c.phone ?? c.whatsapp).not.toBeNull();
    }
    const acmeContacts = contacts.filter((c) => c.workspace_id === acme);
    expect(acmeContacts.filter((c) => c.archived === 1).length).toBeGreaterThan(0);
    expect(acmeContacts.filter((c) => c.ai_paused === 1).length).toBeGreaterThan(5);
    expect(acmeContacts.filter((c) => c.whatsapp !== null).length).toBeGreaterThan(30);
    // Phone numbers written several ways: with and without +, with brackets, dots, spaces.
    const shapes = new Set(acmeContacts.flatMap((c) => (c.phone ? [c.phone.replace(/\d/g, '9')] : [])));
    expect(shapes.size).toBeGreaterThan(5);

    const attributes = await t.store.db.selectFrom('custom_attributes').selectAll().where('workspace_id', '=', acme).execute();
    expect(new Set(attributes.map((a) => a.type))).toEqual(new Set(['string', 'number', 'boolean', 'date', 'enum']));
    const values = await t.store.db
      .selectFrom('contact_attribute_values as v')
      .innerJoin('custom_attributes as a', 'a.id', 'v.attribute_id')
      .innerJoin('contacts as c', 'c.id', 'v.contact_id')
      .select(['a.type', 'a.options', 'v.value', 'a.workspace_id', 'c.workspace_id as contact_workspace'])
      .execute();
    expect(values.length).toBeGreaterThan(300);
    for (const v of values) {
      expect(v.contact_workspace).toBe(v.workspace_id);
      const value: unknown = JSON.parse(v.value);
      if (v.type === 'number') expect(typeof value).toBe('number');
      else if (v.type === 'boolean') expect(typeof value).toBe('boolean');
      else if (v.type === 'date') expect(value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      else if (v.type === 'enum') expect(JSON.parse(v.options ?? '[]')).toContain(value);
      else expect(typeof value).toBe('string');
    }
  });

  it('has senders on every channel with one default each', async () => {
    const senders = await t.store.db.selectFrom('senders').selectAll().execute();
    for (const workspaceId of [acme, clinic]) {
      for (const channel of ['sms', 'email', 'whatsapp', 'webchat', 'voice']) {
        const mine = senders.filter((s) => s.workspace_id === workspaceId && s.channel === channel);
        expect(mine.filter((s) => s.is_default === 1), `${workspaceId} ${channel}`).toHaveLength(1);
      }
    }
  });

  it('seeds calls, appointments and reservations in every state', async () => {
    const calls = await t.store.db.selectFrom('calls').selectAll().where('workspace_id', '=', acme).execute();
    expect(new Set(calls.map((c) => c.status))).toEqual(new Set(['completed', 'missed', 'voicemail', 'failed']));
    expect(new Set(calls.map((c) => c.direction))).toEqual(new Set(['inbound', 'outbound']));
    for (const call of calls) {
      const transcript = JSON.parse(call.transcript) as Array<Record<string, unknown>>;
      for (const turn of transcript) {
        expect(['contact', 'agent', 'user']).toContain(turn.speaker);
        expect(typeof turn.name).toBe('string');
        expect(typeof turn.text).toBe('string');
        expect(typeof turn.at_seconds).toBe('number');
      }
      if (call.status === 'completed') {
        expect(transcript.length).toBeGreaterThan(2);
        expect(call.duration_seconds).toBeGreaterThan(0);
        expect(call.summary).toBeTruthy();
      }
    }
    const appointments = await t.store.db.selectFrom('appointments').selectAll().execute();
    expect(new Set(appointments.map((a) => a.status))).toEqual(new Set(['scheduled', 'completed', 'cancelled', 'no_show']));
    for (const a of appointments) {
      expect(a.ends_at > a.starts_at).toBe(true);
      if (a.status === 'scheduled') expect(a.starts_at > NOW.toISOString()).toBe(true);
      if (a.status === 'completed' || a.status === 'no_show') expect(a.starts_at < NOW.toISOString()).toBe(true);
    }
    const reservations = await t.store.db.selectFrom('reservations').selectAll().execute();
    expect(new Set(reservations.map((r) => r.status))).toEqual(new Set(['confirmed', 'cancelled', 'checked_in', 'checked_out']));
    expect(new Set(reservations.map((r) => r.property)).size).toBe(3);
    for (const r of reservations) {
      expect(r.confirmation_code).toMatch(/^AH-[2-9A-HJ-NP-Z]{5}$/);
      expect(r.check_in).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(r.check_out > r.check_in).toBe(true);
      expect(r.total_amount_minor).toBeGreaterThan(0);
    }
  });

  it('answers the product page example prompts', async () => {
    const since24h = new Date(NOW.getTime() - DAY).toISOString();
    const recentOpen = await t.store.db
      .selectFrom('tickets')
      .select(['priority', 'contact_id'])
      .where('workspace_id', '=', acme)
      .where('status', 'in', ['new', 'pending'])
      .where('updated_at', '>=', since24h)
      .execute();
    expect(recentOpen.length).toBeGreaterThanOrEqual(6);
    expect(recentOpen.filter((r) => r.priority === 'urgent').length).toBeGreaterThanOrEqual(2);

    const lastWeek = { after: new Date(NOW.getTime() - 7 * DAY).toISOString() };
    const query = parseSearchQuery('"double charge"');
    const { ranked: hits } = await t.store.search.conversations({ workspaceId: acme, query, created: lastWeek, limit: 50 });
    expect(hits.length).toBeGreaterThanOrEqual(4);
    const threads = await t.store.db.selectFrom('conversations').select(['message_count', 'channel']).where('id', 'in', hits.map((h) => h.id)).execute();
    expect(threads.filter((c) => c.message_count >= 4).length).toBeGreaterThanOrEqual(4);
    expect(new Set(threads.map((c) => c.channel)).size).toBeGreaterThanOrEqual(3);
    const { ranked: older } = await t.store.search.conversations({ workspaceId: acme, query, created: {}, limit: 100 });
    expect(older.length).toBeGreaterThan(hits.length);
    expect(await t.store.search.conversations({ workspaceId: clinic, query, created: {}, limit: 10 })).toEqual({ ranked: [] });

    const refund = await t.store.db.selectFrom('conversations').selectAll().where('id', '=', 'cv_abc').executeTakeFirstOrThrow();
    expect(refund.workspace_id).toBe(acme);
    expect(refund.message_count).toBeGreaterThanOrEqual(20);
    expect(refund.last_message_preview).toMatch(/refund/);

    const stale = await t.store.search.knowledgeNodes({ workspaceId: acme, query: parseSearchQuery('"48 hours"'), limit: 20 });
    expect(stale.length).toBeGreaterThanOrEqual(3);
    expect(stale.map((n) => n.path)).not.toContain('/Policies/Cancellation');
    const current = await t.store.search.knowledgeNodes({ workspaceId: acme, query: parseSearchQuery('"72 hours"'), limit: 20 });
    expect(current.map((n) => n.path)).toContain('/Policies/Cancellation');
    expect(await t.store.search.knowledgeNodes({ workspaceId: clinic, query: parseSearchQuery('"48 hours"'), limit: 20 })).toEqual([]);
    const policy = await t.store.search.knowledgeChunks({ workspaceId: acme, query: parseSearchQuery('refund policy'), maxResults: 5 });
    expect(policy[0]?.node_path).toBe('/Policies/Refunds');
  });

  it('creates a demo user who can sign in and owns both workspaces', async () => {
    expect(result.user.email).toBe('demo@acme-hotels.example');
    const user = await t.store.db.selectFrom('users').selectAll().where('email', '=', result.user.email).executeTakeFirstOrThrow();
    expect(await verifyPassword(result.user.password, user.password_hash ?? '')).toBe(true);
    expect(await verifyPassword(`${result.user.password}x`, user.password_hash ?? '')).toBe(false);
    const roles = await t.store.db.selectFrom('memberships').select(['workspace_id', 'role']).where('user_id', '=', user.id).execute();
    expect(roles.sort((a, b) => a.workspace_id.localeCompare(b.workspace_id))).toEqual(
      [{ workspace_id: acme, role: 'owner' }, { workspace_id: clinic, role: 'owner' }].sort((a, b) => a.workspace_id.localeCompare(b.workspace_id)),
    );
    const staff = await t.store.db.selectFrom('users').select(['email', 'password_hash']).where('email', '<>', result.user.email).execute();
    expect(staff.length).toBeGreaterThanOrEqual(2);
    for (const s of staff) expect(s.password_hash).toBeNull();
  });

  it('refuses to seed twice and leaves the data as it was', async () => {
    await expect(seedDemo(t.store, { now: NOW })).rejects.toThrow(/acme-hotels/);
    expect(await countIn('contacts', acme)).toBe(300);
    const users = await t.store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(users.n)).toBe(result.counts.users);
  });

  it('rejects a scale that is not a whole number of at least 1', async () => {
    for (const scale of [0, -1, 1.5, Number.NaN]) await expect(seedDemo(twin.store, { scale })).rejects.toThrow(/scale/);
  });

  it('gives each of hundreds of thousands of entity streams its own ids', () => {
    // A million messages means ~150k conversation streams; a 32-bit generator repeats ids there.
    const ids = new Set<string>();
    const count = 300_000;
    for (let i = 0; i < count; i++) ids.add(streamRng(1, 'acme-hotels/conversation', i).id('cv'));
    expect(ids.size).toBe(count);
    expect(streamRng(1, 'acme-hotels/ticket', 5).id('cv')).not.toBe(streamRng(1, 'acme-hotels/conversation', 5).id('cv'));
  });

  it('uses name lists that cannot produce the same email for two people', () => {
    const first = FIRST_NAMES.map(asciiFold);
    const last = LAST_NAMES.map(asciiFold);
    expect(new Set(first).size).toBe(first.length);
    expect(new Set(last).size).toBe(last.length);
    expect(first.filter((name) => last.includes(name) || name === '')).toEqual([]);
  });
});

describe('seedDemo at scale 2', () => {
  let big: TestStore;
  let bigResult: DemoResult;

  beforeAll(async () => {
    big = await createTestStore();
    bigResult = await seedDemo(big.store, { now: NOW, scale: 2, seed: 7 });
  });

  afterAll(async () => {
    await big.cleanup();
  });

  it('roughly doubles contacts, conversations and messages, and a different seed gives different people', async () => {
    const ratio = (table: string) => (bigResult.counts[table] ?? 0) / (result.counts[table] ?? 1);
    expect(ratio('contacts')).toBe(2);
    expect(ratio('messages')).toBeGreaterThan(1.8);
    expect(ratio('messages')).toBeLessThan(2.2);
    expect(ratio('tickets')).toBeGreaterThan(1.8);
    expect(ratio('calls')).toBe(2);
    expect(bigResult.counts.knowledge_nodes).toBe(result.counts.knowledge_nodes);
    expect(bigResult.counts.reservations).toBe(result.counts.reservations);
    const firstIds = async (s: TestStore) => (await s.store.db.selectFrom('contacts').select('id').orderBy('seq').limit(20).execute()).map((r) => r.id);
    const theirs = new Set(await firstIds(t));
    expect((await firstIds(big)).filter((id) => theirs.has(id))).toEqual([]);
    // The product page scenarios are there whatever the seed.
    expect(await big.store.db.selectFrom('conversations').select('id').where('id', '=', 'cv_abc').executeTakeFirst()).toBeTruthy();
  });
});
