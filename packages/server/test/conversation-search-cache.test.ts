import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { openPostgresStore } from '../src/store/postgres/open.js';
import { PostgresSearch } from '../src/store/postgres/search.js';
import { CACHED_HIT_CONVERSATIONS, CACHED_RANKING_DEPTH, ConversationSearchCache } from '../src/store/conversation-search-cache.js';
import { parseSearchQuery, type ConversationHitSearch, type ConversationSearch, type RankedId } from '../src/store/search.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { SqliteSearch } from '../src/store/sqlite/search.js';
import type { ConversationStatus } from '../src/store/schema.js';
import type { Store } from '../src/store/store.js';
import { createWorkspace, testReadPool } from './helpers.js';
import { createEmptyDatabase, TEST_DATABASE_URL } from './test-database.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

// The conversation search cache against a real database: a cached answer (ranking or snippets)
// is always the answer the uncached search gives at that moment, on every page, and any write
// that could change one — made through this store or through another process's (a replica) —
// retires it.

/** Two stores on one database, as two replicas have. */
let replicaA: Store;
let replicaB: Store;
let cleanup: () => Promise<void>;
let ws: string;
let other: string;
let contactId = '';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

async function openPair(): Promise<void> {
  if (TEST_DATABASE_URL) {
    const database = await createEmptyDatabase(TEST_DATABASE_URL);
    replicaA = await openPostgresStore({ url: database.url, readPool: testReadPool('postgres') });
    replicaB = await openPostgresStore({ url: database.url, readPool: testReadPool('postgres') });
    cleanup = async () => {
      await replicaA.close();
      await replicaB.close();
      await database.drop();
    };
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'conduit-ranking-'));
  replicaA = await openSqliteStore({ file: join(dir, 'conduit.db'), readPool: testReadPool('sqlite') });
  replicaB = await openSqliteStore({ file: join(dir, 'conduit.db'), readPool: testReadPool('sqlite') });
  cleanup = async () => {
    await replicaA.close();
    await replicaB.close();
    rmSync(dir, { recursive: true, force: true });
  };
}

function uncachedEngine(store: Store): SqliteSearch | PostgresSearch {
  return store.dialect === 'postgres' ? new PostgresSearch(store.db) : new SqliteSearch(store.db);
}

/** A cache on `store` whose uncached searches are counted. */
function countingCache(store: Store, capacity?: { rankings: number; hits: number }) {
  const engine = uncachedEngine(store);
  const counter = { rankings: 0, hitSearches: 0, hitConversations: 0 };
  const cache = new ConversationSearchCache(store.db, capacity);
  const search = async (p: ConversationSearch) =>
    (
      await cache.conversations(p, (q) => {
        counter.rankings += 1;
        return engine.rankConversations(q);
      })
    ).ranked;
  const hits = (p: ConversationHitSearch) =>
    cache.conversationHits(p, (q) => {
      counter.hitSearches += 1;
      counter.hitConversations += q.conversationIds.length;
      return engine.findConversationHits(q);
    });
  return { cache, counter, search, hits, engine };
}

async function addConversations(store: Store, workspaceId: string, bodies: string[], status: ConversationStatus = 'open'): Promise<string[]> {
  const ids = bodies.map(() => newId('cv'));
  await store.db
    .insertInto('conversations')
    .values(ids.map((id) => ({ id, workspace_id: workspaceId, contact_id: contactId, channel: 'email', status, assignee_id: null, subject: null, message_count: 1, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) })))
    .execute();
  await store.db
    .insertInto('messages')
    .values(bodies.map((body, i) => ({ id: newId('msg'), workspace_id: workspaceId, conversation_id: ids[i]!, direction: 'inbound', author_type: 'contact', author_id: null, author_name: null, channel: 'email', body, subject: null, status: null, sender_id: null, created_at: at(i + 1) })))
    .execute();
  return ids;
}

const query = (text: string, extra: Partial<ConversationSearch> = {}): ConversationSearch => ({
  workspaceId: ws,
  query: parseSearchQuery(text),
  created: {},
  limit: 3,
  ...extra,
});

/** Every page of a search, following (score, seq) keysets as the tool's cursors do. */
async function allPages(search: (p: ConversationSearch) => Promise<RankedId[]>, p: ConversationSearch): Promise<RankedId[]> {
  const out: RankedId[] = [];
  let after: ConversationSearch['after'];
  for (;;) {
    const page = await search({ ...p, limit: p.limit + 1, after });
    out.push(...page.slice(0, p.limit));
    if (page.length <= p.limit) return out;
    const last = page[p.limit - 1]!;
    after = { score: last.score, seq: last.seq };
  }
}

beforeAll(async () => {
  await openPair();
  ws = (await createWorkspace(replicaA, 'acme')).id;
  other = (await createWorkspace(replicaA, 'other')).id;
  contactId = newId('ct');
  await replicaA.db
    .insertInto('contacts')
    .values({ id: contactId, workspace_id: ws, first_name: 'Ana', last_name: null, email: null, email_norm: null, phone: null, phone_norm: null, whatsapp: null, whatsapp_norm: null, name_norm: 'ana', archived: 0, ai_paused: 0, last_channel: null, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) })
    .execute();
  // Ranks differ: one, two or three mentions in bodies of different lengths.
  await addConversations(replicaA, ws, [
    'refund please',
    'refund refund, I was charged twice',
    'about the refund: refund the deposit and refund the fee',
    'a refund was promised in March and never came, can you check the refund status for booking 1029',
    'no match here',
    'refund',
    'the refund policy page says 48 hours',
  ]);
});
afterAll(() => cleanup());

describe(`conversation search cache (${TEST_DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  it('answers every page as the uncached search does, ranking once for the whole walk', async () => {
    const { counter, search, engine } = countingCache(replicaA);
    const expected = await allPages(async (p) => (await engine.rankConversations(p)).ranked, query('refund'));
    expect(expected).toHaveLength(6);
    expect(await allPages(search, query('refund'))).toEqual(expected);
    expect(counter.rankings).toBe(1);
    // The same search again, from the first page: no ranking at all.
    expect(await allPages(search, query('refund'))).toEqual(expected);
    expect(counter.rankings).toBe(1);
  });

  it('keys rankings by query and filters, not by page size', async () => {
    const { counter, search } = countingCache(replicaA);
    await search(query('refund', { limit: 2 }));
    await search(query('refund', { limit: 5 }));
    expect(counter.rankings).toBe(1);
    await search(query('refund policy'));
    await search(query('refund', { status: 'closed' }));
    await search(query('refund', { created: { after: at(3) } }));
    expect(counter.rankings).toBe(4);
  });

  it('ranks again after a matching message is added through another replica, and finds it', async () => {
    const { counter, search } = countingCache(replicaA);
    const before = await search(query('refund', { limit: 50 }));
    const [added] = await addConversations(replicaB, ws, ['refund refund refund refund']);
    const after = await search(query('refund', { limit: 50 }));
    expect(counter.rankings).toBe(2);
    expect(after.map((r) => r.id)).toContain(added);
    expect(after).toHaveLength(before.length + 1);
    expect(after).toEqual((await uncachedEngine(replicaA).rankConversations(query('refund', { limit: 50 }))).ranked);
  });

  it('keeps the ranking when only another workspace or a delivery status changes', async () => {
    const { counter, search } = countingCache(replicaA);
    await search(query('refund'));
    await addConversations(replicaB, other, ['refund elsewhere']);
    const anyMessage = await replicaB.db.selectFrom('messages').select('id').where('workspace_id', '=', ws).executeTakeFirstOrThrow();
    await replicaB.db.updateTable('messages').set({ status: 'delivered' }).where('id', '=', anyMessage.id).execute();
    const sameStatus = await replicaB.db.selectFrom('conversations').select(['id', 'status']).where('workspace_id', '=', ws).executeTakeFirstOrThrow();
    await replicaB.db.updateTable('conversations').set({ status: sameStatus.status, updated_at: at(99) }).where('id', '=', sameStatus.id).execute();
    await search(query('refund'));
    expect(counter.rankings).toBe(1);
  });

  it('ranks again when a conversation changes status, so status filters stay true', async () => {
    const { counter, search, engine } = countingCache(replicaA);
    const open = await search(query('refund', { status: 'open', limit: 50 }));
    const target = open[0]!.id;
    await replicaB.db.updateTable('conversations').set({ status: 'closed' }).where('id', '=', target).execute();
    const reopened = await search(query('refund', { status: 'open', limit: 50 }));
    expect(counter.rankings).toBe(2);
    expect(reopened.map((r) => r.id)).not.toContain(target);
    expect(reopened).toEqual((await engine.rankConversations(query('refund', { status: 'open', limit: 50 }))).ranked);
    await replicaB.db.updateTable('conversations').set({ status: 'open' }).where('id', '=', target).execute();
  });

  it('ranks again when a message is rewritten or removed', async () => {
    const { counter, search } = countingCache(replicaA);
    const [id] = await addConversations(replicaB, ws, ['unicorn sighting']);
    expect((await search(query('unicorn'))).map((r) => r.id)).toEqual([id]);
    await replicaB.db.updateTable('messages').set({ body: 'horse sighting' }).where('conversation_id', '=', id!).execute();
    expect(await search(query('unicorn'))).toEqual([]);
    await replicaB.db.updateTable('messages').set({ body: 'unicorn again' }).where('conversation_id', '=', id!).execute();
    expect((await search(query('unicorn'))).map((r) => r.id)).toEqual([id]);
    await replicaB.db.deleteFrom('messages').where('conversation_id', '=', id!).execute();
    expect(await search(query('unicorn'))).toEqual([]);
    expect(counter.rankings).toBe(4);
  });

  it('serves a later page it has not cached straight from the database, ranking once', async () => {
    const { counter, search, engine } = countingCache(replicaA);
    const first = (await engine.rankConversations(query('refund', { limit: 2 }))).ranked;
    const after = { score: first[1]!.score, seq: first[1]!.seq };
    const page = await search(query('refund', { after }));
    expect(page).toEqual((await engine.rankConversations(query('refund', { after }))).ranked);
    expect(counter.rankings).toBe(1);
  });

  it(`pages past the cached top ${CACHED_RANKING_DEPTH} exactly as the database does`, async () => {
    const many = Array.from({ length: CACHED_RANKING_DEPTH + 40 }, (_, i) => `zebra ${'word '.repeat(i % 17)}zebra${i % 3 ? '' : ' zebra'}`);
    await addConversations(replicaB, ws, many);
    const { counter, search, engine } = countingCache(replicaA);
    const expected = await allPages(async (p) => (await engine.rankConversations(p)).ranked, query('zebra', { limit: 100 }));
    expect(expected).toHaveLength(many.length);
    expect(await allPages(search, query('zebra', { limit: 100 }))).toEqual(expected);
    // Page 1 ranks and fills the cache, page 2 is served from it, page 3 lies beyond it.
    expect(counter.rankings).toBe(2);
  });

  it('forgets the least recently used ranking beyond its capacity', async () => {
    const { cache, counter, search } = countingCache(replicaA, { rankings: 2, hits: 2 });
    await search(query('refund'));
    await search(query('policy'));
    await search(query('refund'));
    await search(query('deposit')); // evicts "policy", used least recently
    expect(cache.size).toBe(2);
    await search(query('refund'));
    expect(counter.rankings).toBe(3);
    await search(query('policy'));
    expect(counter.rankings).toBe(4);
  });

  it('gives a page of ranking and matching messages as the two uncached searches do', async () => {
    const engine = uncachedEngine(replicaA);
    const p = query('refund', { limit: 4 });
    for (let round = 0; round < 2; round++) {
      const page = await replicaA.search.conversationPage(p, { size: 3, perParent: 2 });
      const ranked = (await engine.rankConversations(p)).ranked;
      expect(page.ranked).toEqual(ranked);
      const conversationIds = ranked.slice(0, 3).map((r) => r.id);
      expect(page.hits).toEqual(await engine.findConversationHits({ workspaceId: ws, query: p.query, created: {}, perParent: 2, conversationIds }));
      expect(new Set(page.hits.map((h) => h.parentId))).toEqual(new Set(conversationIds));
    }
  });

  describe('matching messages', () => {
    const hitsOf = (conversationIds: string[], extra: Partial<ConversationHitSearch> = {}): ConversationHitSearch => ({
      workspaceId: ws,
      query: parseSearchQuery('refund'),
      conversationIds,
      created: {},
      perParent: 3,
      ...extra,
    });

    it('answers as the uncached search does, finding only the conversations it does not hold', async () => {
      const { counter, search, hits, engine } = countingCache(replicaA);
      const ids = (await search(query('refund', { limit: 6 }))).map((r) => r.id);
      const firstHalf = ids.slice(0, 3);
      expect(await hits(hitsOf(firstHalf))).toEqual(await engine.findConversationHits(hitsOf(firstHalf)));
      expect(counter).toMatchObject({ hitSearches: 1, hitConversations: 3 });
      const all = await hits(hitsOf(ids));
      expect(all).toEqual(await engine.findConversationHits(hitsOf(ids)));
      expect(all.length).toBeGreaterThanOrEqual(ids.length);
      expect(counter).toMatchObject({ hitSearches: 2, hitConversations: ids.length });
      await hits(hitsOf([...ids].reverse()));
      expect(counter.hitSearches).toBe(2);
      // Another time range or number per conversation is another search.
      await hits(hitsOf(ids, { perParent: 1 }));
      await hits(hitsOf(ids, { created: { before: at(3) } }));
      expect(counter.hitSearches).toBe(4);
    });

    it('finds them again once a message changes, through another replica, and shows the new text', async () => {
      const { counter, hits } = countingCache(replicaA);
      const [id] = await addConversations(replicaA, ws, ['a refund for the minibar']);
      expect((await hits(hitsOf([id!])))[0]?.snippet).toContain('minibar');
      await replicaB.db.updateTable('messages').set({ body: 'a refund for the parking' }).where('conversation_id', '=', id!).execute();
      const [rewritten] = await hits(hitsOf([id!]));
      expect(rewritten?.snippet).toContain('parking');
      expect(rewritten?.snippet).not.toContain('minibar');
      expect(counter.hitSearches).toBe(2);
    });

    it(`keeps the matching messages of ${CACHED_HIT_CONVERSATIONS} conversations a search, and finds deeper pages each time`, async () => {
      const ids = await addConversations(replicaB, ws, Array.from({ length: CACHED_HIT_CONVERSATIONS + 20 }, (_, i) => `quokka sighting number ${i}`));
      const { counter, hits, engine } = countingCache(replicaA);
      const quokka = (page: string[]) => hitsOf(page, { query: parseSearchQuery('quokka') });
      const pages = [ids.slice(0, 50), ids.slice(50, 100), ids.slice(100)];
      for (const page of pages) expect(await hits(quokka(page))).toEqual(await engine.findConversationHits(quokka(page)));
      expect(counter.hitSearches).toBe(3);
      // The first two pages fill the cache; the third does not fit and is found again.
      for (const page of pages) await hits(quokka(page));
      expect(counter.hitSearches).toBe(4);
    });

    it('remembers a conversation without matches as such', async () => {
      const { counter, hits } = countingCache(replicaA);
      const [none] = await addConversations(replicaA, ws, ['nothing to see']);
      expect(await hits(hitsOf([none!]))).toEqual([]);
      expect(await hits(hitsOf([none!]))).toEqual([]);
      expect(counter.hitSearches).toBe(1);
    });
  });
});
