import { join } from 'node:path';
import { Migrator, sql, type CompiledQuery, type Insertable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { MAX_RANKED_MATCHES, rankNewestMatches, type MatchRow, type RankingQueries, type Slice } from '../src/store/conversation-ranking.js';
import { PostgresSearch } from '../src/store/postgres/search.js';
import { migrateStore } from '../src/store/open.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { openPostgresStore } from '../src/store/postgres/open.js';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { BucketsNewestFirst, hourStart, HOUR_MS, windowSeqRange, type Bucket } from '../src/store/search-window.js';
import { parseSearchQuery, type ConversationSearch, type RankedId } from '../src/store/search.js';
import { toFtsMatch, SqliteSearch } from '../src/store/sqlite/search.js';
import { Bm25, ftsTokens } from '../src/store/sqlite/bm25.js';
import { toTsQuery } from '../src/store/postgres/search.js';
import type { MessagesTable } from '../src/store/schema.js';
import type { Store } from '../src/store/store.js';
import { searchConversations } from '../src/tools/conversations.js';
import { callOk, createTestStore, createWorkspace, credentialFor, loggingConnection, testContext, type TestStore } from './helpers.js';
import { createEmptyDatabase, TEST_DATABASE_URL } from './test-database.js';

// A conversation search ranks the newest MAX_RANKED_MATCHES matching messages of its window,
// reading the full-text index a time slice at a time (store/conversation-ranking.ts): checked
// against the ranking as it was before (every match, one grouped query) over the same messages,
// on whichever dialect createTestStore gives.

let t: TestStore;
let engine: SqliteSearch | PostgresSearch;
let ws: string;
let other: string;
let contactId = '';
/** Hour 0 of the test data; messages are spread over HOURS hours after it. */
const START = Date.UTC(2026, 0, 1);
const HOURS = 400;
const at = (hour: number, minute = 0) => new Date(START + hour * HOUR_MS + minute * 60_000).toISOString();

/** 4,000 messages saying "refund" (10 an hour) and 1,200 that do not, in 1,300 conversations, written in time order. */
async function seed(store: Store): Promise<void> {
  const conversations = Array.from({ length: 1300 }, () => newId('cv'));
  await store.db
    .insertInto('conversations')
    .values(
      conversations.map((id, i) => ({
        id, workspace_id: ws, contact_id: contactId, channel: i % 3 === 0 ? 'sms' : 'email', status: i % 4 === 0 ? 'closed' : 'open',
        assignee_id: null, subject: null, message_count: 4, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0),
      })),
    )
    .execute();
  const rows: Array<Insertable<MessagesTable>> = [];
  for (let hour = 0; hour < HOURS; hour++) {
    for (let k = 0; k < 13; k++) {
      // Bodies of different lengths and repetitions, so scores differ (and some tie).
      const body = k < 10 ? `${'refund '.repeat(1 + ((hour + k) % 4))}about booking ${k % 5}` : `nothing to see ${k}`;
      rows.push({
        id: newId('msg'), workspace_id: ws, conversation_id: conversations[(hour * 7 + k * 31) % conversations.length]!, direction: 'inbound', author_type: 'contact',
        author_id: null, author_name: null, channel: 'email', body, subject: null, status: null, sender_id: null, created_at: at(hour, k * 4),
      });
    }
  }
  for (let i = 0; i < rows.length; i += 400) await store.db.insertInto('messages').values(rows.slice(i, i + 400)).execute();
}

/** The ranking as it was before: every match of the window, one grouped query, no limit but the page. */
async function reference(p: ConversationSearch): Promise<RankedId[]> {
  const window = sql.join(
    [
      p.created.after ? sql`AND m.created_at >= ${p.created.after}` : sql``,
      p.created.before ? sql`AND m.created_at < ${p.created.before}` : sql``,
    ],
    sql` `,
  );
  const filters = sql.join([p.channel ? sql`AND c.channel = ${p.channel}` : sql``, p.status ? sql`AND c.status = ${p.status}` : sql``], sql` `);
  if (t.store.dialect === 'postgres') {
    const q = toTsQuery(p.query);
    const { rows } = await sql<RankedId>`
      SELECT c.id, MIN(-ts_rank_cd('{1.0, 1.0, 1.0, 1.0}'::float4[], f.tsv, ${q}, 1)::float8) AS score, c.seq
      FROM messages_fts f JOIN messages m ON m.seq = f.seq JOIN conversations c ON c.id = m.conversation_id
      WHERE f.tsv @@ ${q} AND m.workspace_id = ${p.workspaceId} ${window} ${filters}
      GROUP BY c.id, c.seq ORDER BY score, c.seq LIMIT ${p.limit}`.execute(t.store.db);
    return rows;
  }
  const { rows } = await sql<RankedId>`
    WITH h AS MATERIALIZED (
      SELECT m.conversation_id, bm25(messages_fts) AS score FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
      WHERE messages_fts MATCH ${toFtsMatch(p.query)} AND m.workspace_id = ${p.workspaceId} ${window})
    SELECT c.id AS id, MIN(h.score) AS score, c.seq AS seq FROM h JOIN conversations c ON c.id = h.conversation_id
    WHERE 1 = 1 ${filters} GROUP BY c.id ORDER BY score, seq LIMIT ${p.limit}`.execute(t.store.db);
  return rows;
}

/**
 * The same conversations in the same order, with the same scores but for the last bits (SQLite's
 * are computed from the text, as FTS5 computes bm25, in another order of operations).
 */
function expectSameRanking(actual: RankedId[], expected: RankedId[]): void {
  expect(actual.map((r) => [r.id, r.seq])).toEqual(expected.map((r) => [r.id, r.seq]));
  actual.forEach((r, i) => expect(Math.abs(r.score - expected[i]!.score)).toBeLessThanOrEqual(Math.abs(expected[i]!.score) * 1e-9));
}

/** The engine's queries, recording every slice it reads and how many matches each gave. */
/**
 * The engine's queries, recording every slice it reads, how many matches the engine gave for it
 * and (`read`) the matches the ranking got. With `newestOnly`, the ranking gets only the `newest`
 * of a slice's matches when it asks for them: a no-op on SQLite, whose query already stops there;
 * on PostgreSQL, which gives them all (see its sliceMatches), it plays a dialect that stops, so
 * the ranking's handling of a slice read only in part is checked on both.
 */
function recording(options: { newestOnly?: boolean } = {}): {
  queries: RankingQueries;
  slices: Array<Slice & { matches: number; newest: number | undefined }>;
  read: MatchRow[];
} {
  const slices: Array<Slice & { matches: number; newest: number | undefined }> = [];
  const read: MatchRow[] = [];
  return {
    slices,
    read,
    queries: {
      db: engine.db,
      async sliceMatches(p: ConversationSearch, slice: Slice, newest?: number): Promise<MatchRow[]> {
        let rows = await engine.sliceMatches(p, slice, newest);
        slices.push({ ...slice, matches: rows.length, newest });
        if (options.newestOnly && newest !== undefined) rows = [...rows].sort((a, b) => b.seq - a.seq).slice(0, newest);
        read.push(...rows);
        return rows;
      },
    },
  };
}

const search = (extra: Partial<ConversationSearch> = {}): ConversationSearch => ({
  workspaceId: ws,
  query: parseSearchQuery('refund'),
  created: {},
  limit: 50,
  ...extra,
});

/** Matches of "refund" in the window, counted directly. */
async function matchesIn(after: string | undefined, before?: string): Promise<number> {
  let query = t.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', ws).where('body', 'like', '%refund%');
  if (after) query = query.where('created_at', '>=', after);
  if (before) query = query.where('created_at', '<', before);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

beforeAll(async () => {
  t = await createTestStore();
  engine = t.store.dialect === 'postgres' ? new PostgresSearch(t.store.db) : new SqliteSearch(t.store.db);
  ws = (await createWorkspace(t.store, 'acme')).id;
  other = (await createWorkspace(t.store, 'other')).id;
  contactId = newId('ct');
  await t.store.db
    .insertInto('contacts')
    .values({ id: contactId, workspace_id: ws, first_name: 'Ana', last_name: null, email: null, email_norm: null, phone: null, phone_norm: null, whatsapp: null, whatsapp_norm: null, name_norm: 'ana', archived: 0, ai_paused: 0, last_channel: null, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) })
    .execute();
  await seed(t.store);
}, 120_000);

afterAll(() => t.cleanup());

describe(`ranking the newest matches (${TEST_DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  it('ranks every match when the window holds fewer than the cap, as the full ranking does', async () => {
    const p = search({ created: { after: at(200), before: at(260) } });
    const ranking = await rankNewestMatches(engine, p);
    expect(ranking.since).toBeUndefined();
    expectSameRanking(ranking.ranked, await reference(p));
    expect(ranking.ranked.length).toBeGreaterThan(0);
  });

  it('ranks the newest matches up to the cap and says from which hour, exactly as the full ranking of that hour on', async () => {
    const ranking = await rankNewestMatches(engine, search());
    // 10 matches an hour: the 3,000th newest is in hour 100, and every match from its start is ranked.
    expect(ranking.since).toBe(hourStart(START / HOUR_MS + HOURS - MAX_RANKED_MATCHES / 10));
    expect(await matchesIn(ranking.since)).toBe(MAX_RANKED_MATCHES);
    expectSameRanking(ranking.ranked, await reference(search({ created: { after: ranking.since } })));
    // The same with filters, which apply to the ranked matches.
    const filtered = await rankNewestMatches(engine, search({ channel: 'sms', status: 'open' }));
    expectSameRanking(filtered.ranked, await reference(search({ channel: 'sms', status: 'open', created: { after: filtered.since } })));
  });

  it('orders a query of several words and phrases as the full ranking does', async () => {
    for (const text of ['refund booking', '"about booking" refund', 'booking 3']) {
      const p = search({ query: parseSearchQuery(text), created: { after: at(300) } });
      const ranking = await rankNewestMatches(engine, p);
      expect(ranking.ranked.length).toBeGreaterThan(0);
      expectSameRanking(ranking.ranked, await reference(p));
    }
  });

  it('continues a limited ranking from its since on every page, and the pages add up to it', async () => {
    const first = await rankNewestMatches(engine, search({ limit: 60 }));
    const all = await reference(search({ created: { after: first.since }, limit: 5000 }));
    const seen = [...first.ranked];
    let last = first.ranked.at(-1)!;
    for (let page = 0; page < 100; page++) {
      const next = await rankNewestMatches(engine, search({ limit: 60, since: first.since, after: { score: last.score, seq: last.seq } }));
      expect(next.since).toBe(first.since);
      if (next.ranked.length === 0) break;
      seen.push(...next.ranked);
      last = next.ranked.at(-1)!;
    }
    expectSameRanking(seen, all);
  });

  it('reads only the window\'s part of the index: what it scores follows the matches in the window', async () => {
    const week = { after: at(HOURS - 168), before: at(HOURS) };
    const { queries, slices } = recording();
    const ranking = await rankNewestMatches(queries, search({ created: week }));
    expect(ranking.since).toBeUndefined();
    const inWindow = await matchesIn(week.after, week.before);
    // Every match read is in the window (1,680 of 4,000), and no seq outside the window's range was asked for.
    expect(slices.reduce((n, s) => n + s.matches, 0)).toBe(inWindow);
    const range = await windowSeqRange(t.store.db, ws, week);
    for (const slice of slices) {
      expect(slice.minSeq).toBeGreaterThanOrEqual(range!.minSeq);
      expect(slice.maxSeq).toBeLessThanOrEqual(range!.maxSeq);
    }
  });

  it('reads about the cap for a word that matches everywhere, not every match', async () => {
    const { queries, slices } = recording();
    await rankNewestMatches(queries, search());
    const read = slices.reduce((n, s) => n + s.matches, 0);
    expect(read).toBeGreaterThanOrEqual(MAX_RANKED_MATCHES);
    expect(read).toBeLessThan(await matchesIn(undefined));
    expect(read).toBeLessThanOrEqual(MAX_RANKED_MATCHES * 1.25);
  });

  /**
   * A workspace where "parcel" is in 1 message an hour for the newest 100 of 300 hours and in 16
   * an hour before them, written in time order: the first slice's match rate is a third of the
   * older hours', so the next slice holds far more matches than the cap still needs. With
   * `early`, one more an hour across all 300 hours is written first (low seq, any time).
   */
  async function seedRateShift(slug: string, early: boolean): Promise<string> {
    const id = (await createWorkspace(t.store, slug)).id;
    const conversations = Array.from({ length: 600 }, () => newId('cv'));
    await t.store.db
      .insertInto('conversations')
      .values(
        conversations.map((cv) => ({
          id: cv, workspace_id: id, contact_id: contactId, channel: 'email', status: 'open', assignee_id: null, subject: null,
          message_count: 0, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0),
        })),
      )
      .execute();
    const message = (hour: number, minute: number, body: string, i: number): Insertable<MessagesTable> => ({
      id: newId('msg'), workspace_id: id, conversation_id: conversations[i % conversations.length]!, direction: 'inbound', author_type: 'contact',
      author_id: null, author_name: null, channel: 'email', body, subject: null, status: null, sender_id: null, created_at: at(hour, minute),
    });
    const rows: Array<Insertable<MessagesTable>> = [];
    // Short and saying it three times: the early ones score best, so a missing one changes the page.
    if (early) for (let hour = 0; hour < 300; hour++) rows.push(message(hour, 59, 'parcel parcel parcel', hour * 7));
    for (let hour = 0; hour < 300; hour++) {
      const matching = hour >= 200 ? 1 : 16;
      for (let k = 0; k < 20; k++) rows.push(message(hour, k * 2, k < matching ? `parcel ${'late '.repeat(k % 3)}${k}` : `other ${k}`, hour * 13 + k * 17));
    }
    for (let i = 0; i < rows.length; i += 400) await t.store.db.insertInto('messages').values(rows.slice(i, i + 400)).execute();
    return id;
  }

  const parcelsSince = async (workspaceId: string, since: string) =>
    Number(
      (
        await t.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', workspaceId).where('body', 'like', '%parcel%').where('created_at', '>=', since)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('reads no match it does not rank when older hours match far more often than the newest', async () => {
    const shift = await seedRateShift('shift', false);
    const { queries, slices, read } = recording({ newestOnly: true });
    const p = { ...search({ query: parseSearchQuery('parcel') }), workspaceId: shift };
    const ranking = await rankNewestMatches(queries, p);
    expect(ranking.since).toBeDefined();
    const ranked = await parcelsSince(shift, ranking.since!);
    expect(ranked).toBeGreaterThanOrEqual(MAX_RANKED_MATCHES);
    // Every match read is ranked: none before the cut's hour was read and thrown away (reading
    // whole slices read all 3,300 there are).
    expect(read.length).toBe(ranked);
    expectSameRanking(ranking.ranked, await reference({ ...p, created: { after: ranking.since! } }));
    // SQLite's query itself stops at the newest asked for.
    if (t.store.dialect === 'sqlite') for (const slice of slices) expect(slice.matches).toBeLessThanOrEqual(slice.newest ?? Number.POSITIVE_INFINITY);
  });

  it('ranks every match from the cut\'s hour on when the slice that filled the cap was read only in part', async () => {
    // The early messages have the lowest seqs: the newest-first read of the slice that fills the
    // cap stops long before them, and the ones from the cut's hour on are read after it.
    const shift = await seedRateShift('shift-early', true);
    const { queries, read } = recording({ newestOnly: true });
    const p = { ...search({ query: parseSearchQuery('parcel') }), workspaceId: shift };
    const ranking = await rankNewestMatches(queries, p);
    expect(ranking.since).toBeDefined();
    const since = ranking.since!;
    // Fewer read than all 3,600 matches: the slice that filled the cap was read only in part...
    expect(read.length).toBeLessThan(3600);
    // ...and yet every match from the cut's hour on was read, once.
    const fromCut = read.filter((r) => r.created_at >= since);
    expect(fromCut.length).toBe(await parcelsSince(shift, since));
    expect(new Set(fromCut.map((r) => r.seq)).size).toBe(fromCut.length);
    expectSameRanking(ranking.ranked, await reference({ ...p, created: { after: since } }));
  });

  it('finds messages written out of time order, and keeps since exact for them', async () => {
    // An import of old messages after newer ones: their seq is high, their time old.
    const late = newId('cv');
    await t.store.db
      .insertInto('conversations')
      .values({ id: late, workspace_id: ws, contact_id: contactId, channel: 'email', status: 'open', assignee_id: null, subject: null, message_count: 1, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) })
      .execute();
    await t.store.db
      .insertInto('messages')
      .values([
        { id: newId('msg'), workspace_id: ws, conversation_id: late, direction: 'inbound', author_type: 'contact', author_id: null, author_name: null, channel: 'email', body: 'zeppelin refund', subject: null, status: null, sender_id: null, created_at: at(5, 30) },
        { id: newId('msg'), workspace_id: other, conversation_id: late, direction: 'inbound', author_type: 'contact', author_id: null, author_name: null, channel: 'email', body: 'zeppelin elsewhere', subject: null, status: null, sender_id: null, created_at: at(6) },
      ])
      .execute();
    const old = await rankNewestMatches(engine, search({ query: parseSearchQuery('zeppelin'), created: { after: at(5), before: at(6) } }));
    expect(old.ranked.map((r) => r.id)).toEqual([late]);
    expect((await rankNewestMatches(engine, search({ query: parseSearchQuery('zeppelin'), created: { after: at(6) } }))).ranked).toEqual([]);
    const full = await rankNewestMatches(engine, search());
    expectSameRanking(full.ranked, await reference(search({ created: { after: full.since } })));
  });

  it('stops between slices when its client went away, reading nothing more', async () => {
    const { queries, slices } = recording();
    const controller = new AbortController();
    const stopAfterFirst: RankingQueries = {
      db: queries.db,
      async sliceMatches(p, slice, newest) {
        const rows = await queries.sliceMatches(p, slice, newest);
        controller.abort();
        return rows;
      },
    };
    await expect(rankNewestMatches(stopAfterFirst, search({ since: null }), controller.signal)).rejects.toThrow(/abort/i);
    expect(slices).toHaveLength(1);
  });
});

describe('search_conversations over more matches than it ranks', () => {
  interface Page {
    data: Array<{ id: string; matches: Array<{ created_at: string }> }>;
    next_cursor: string | null;
    has_more: boolean;
    ranked_since: string | null;
    hint?: string;
  }
  const ctx = () => testContext(t.store, credentialFor([{ id: ws, slug: 'acme', name: 'acme' }], 'read_only'));

  it('says from when it ranked and how to search the older ones, and its pages stay within that ranking', async () => {
    const first = await callOk<Page>(searchConversations, { workspace_id: 'acme', query: 'refund', limit: 100 }, ctx());
    const since = hourStart(START / HOUR_MS + HOURS - MAX_RANKED_MATCHES / 10);
    expect(first.ranked_since).toBe(since);
    expect(first.hint).toContain(`created_before "${since}"`);
    const expected = (await reference(search({ created: { after: since }, limit: 5000 }))).map((r) => r.id);
    const ids = first.data.map((d) => d.id);
    let page = first;
    while (page.next_cursor) {
      page = await callOk<Page>(searchConversations, { workspace_id: 'acme', query: 'refund', limit: 100, cursor: page.next_cursor }, ctx());
      expect(page.ranked_since).toBe(since);
      ids.push(...page.data.map((d) => d.id));
    }
    expect(ids).toEqual(expected);
    // Every snippet shown comes from the ranked messages.
    expect(first.data.flatMap((d) => d.matches).every((m) => m.created_at >= since)).toBe(true);
    // The hint's search ranks the rest: fewer than the cap, so no limit and no hint.
    const older = await callOk<Page>(searchConversations, { workspace_id: 'acme', query: 'refund', limit: 100, created_before: since }, ctx());
    expect(older.ranked_since).toBeNull();
    expect(older.hint).toBeUndefined();
    expect(older.data.length).toBeGreaterThan(0);
  });
});

describe('the text scoring of SQLite rankings (PostgreSQL ranks with ts_rank_cd)', () => {
  it.skipIf(TEST_DATABASE_URL)('splits text into the tokens FTS5\'s unicode61 tokenizer (remove_diacritics 2) makes', async () => {
    const texts = ['Crème brûlée, São Paulo & Zürich!', 'ÉCOLE élève naïve façade', 'ümlaut—dash_under score 3.5 x2 ١٢٣ 東京 ß', "it's O'Brien's e-mail: ana@example.com"];
    await sql`CREATE VIRTUAL TABLE IF NOT EXISTS temp.tokens USING fts5(body, tokenize='unicode61 remove_diacritics 2')`.execute(t.store.db);
    await sql`CREATE VIRTUAL TABLE IF NOT EXISTS temp.tokens_vocab USING fts5vocab(temp, tokens, instance)`.execute(t.store.db);
    for (const [i, text] of texts.entries()) {
      await sql`INSERT INTO temp.tokens(rowid, body) VALUES (${i + 1}, ${text})`.execute(t.store.db);
      const { rows } = await sql<{ term: string }>`SELECT term FROM temp.tokens_vocab WHERE doc = ${i + 1} ORDER BY offset`.execute(t.store.db);
      expect(ftsTokens(text)).toEqual(rows.map((r) => r.term));
    }
  });

  it.skipIf(TEST_DATABASE_URL)('scores a text the same whether it counts tokens in place (ASCII) or splits them (any script)', async () => {
    const texts = [
      'Double charge on my card: DOUBLE charge, double-charge and double  charge again.',
      'double double charge charge double charge',
      'no match here at all',
      '',
      'charge double',
      'A “double charge” — twice, I’m sure\u00a0(double charge).',
      'Zürich double charge, São Paulo',
      'double\u0301 charge',
      'double 𝐀 charge double charge',
      'double charge² double charge',
      'double_charge x2 double charge 3.5',
    ];
    for (const query of ['"double charge"', 'double charge', 'charge', '"Double Charge" refund']) {
      const bm25 = await Bm25.for(t.store.db, parseSearchQuery(query));
      for (const text of texts) expect(bm25.score(text), `${query} in ${JSON.stringify(text)}`).toBe(bm25.scoreTokens(ftsTokens(text)));
    }
  });
});

describe('message time buckets', () => {
  it('cover every message of each hour, whatever order they were written in, and only widen', async () => {
    const { rows } = await sql<{ seq: number; created_at: string }>`SELECT seq, created_at FROM messages WHERE workspace_id = ${ws}`.execute(t.store.db);
    for (const hour of [0, 5, 199, HOURS - 1]) {
      const range = await windowSeqRange(t.store.db, ws, { after: at(hour), before: at(hour + 1) });
      const inHour = rows.filter((r) => r.created_at >= at(hour) && r.created_at < at(hour + 1)).map((r) => Number(r.seq));
      expect(range!.minSeq).toBeLessThanOrEqual(Math.min(...inHour));
      expect(range!.maxSeq).toBeGreaterThanOrEqual(Math.max(...inHour));
    }
    // A message moved to another hour widens that hour's bounds.
    const moved = rows[0]!;
    await t.store.db.updateTable('messages').set({ created_at: at(HOURS + 10) }).where('seq', '=', moved.seq).execute();
    const range = await windowSeqRange(t.store.db, ws, { after: at(HOURS + 10), before: at(HOURS + 11) });
    expect(range).toEqual({ minSeq: Number(moved.seq), maxSeq: Number(moved.seq) });
    expect(await windowSeqRange(t.store.db, ws, { after: at(HOURS + 20) })).toBeNull();
  });

  it('are read newest first, every hour once, across long gaps and from a window ending far off', async () => {
    const sparse = (await createWorkspace(t.store, 'sparse')).id;
    const cv = newId('cv');
    await t.store.db.insertInto('conversations').values({ id: cv, workspace_id: sparse, contact_id: contactId, channel: 'email', status: 'open', assignee_id: null, subject: null, message_count: 0, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) }).execute();
    // Two busy days, a quiet year, and single messages around it.
    const hours = [0, 1, 2, 3, 30, 47, 48, 49, 300, 9000, 9001, 9100];
    await t.store.db
      .insertInto('messages')
      .values(hours.flatMap((hour) => [0, 1].map((k) => ({ id: newId('msg'), workspace_id: sparse, conversation_id: cv, direction: 'inbound' as const, author_type: 'contact' as const, author_id: null, author_name: null, channel: 'email' as const, body: 'hello', subject: null, status: null, sender_id: null, created_at: at(hour, k * 10) }))))
      .execute();
    const read = async (range: { after?: string; before?: string }) => {
      const buckets = new BucketsNewestFirst(t.store.db, sparse, range);
      const out: Bucket[] = [];
      for (let next = await buckets.next(); next; next = await buckets.next()) out.push(next);
      return out;
    };
    const hourOfTest = (hour: number) => hour - START / HOUR_MS;
    for (const [range, expected] of [
      [{ before: '2999-01-01T00:00:00.000Z' }, hours],
      [{}, hours],
      [{ after: at(3), before: at(9001) }, [3, 30, 47, 48, 49, 300, 9000]],
      [{ after: at(9200) }, []],
    ] as const) {
      const buckets = await read(range);
      // Newest first, no hour twice, and together they hold exactly the window's messages.
      for (const [i, b] of buckets.entries()) {
        expect(b.fromHour).toBeLessThanOrEqual(b.toHour);
        if (i > 0) expect(b.toHour).toBeLessThan(buckets[i - 1]!.fromHour);
      }
      expect(buckets.reduce((n, b) => n + b.messages, 0)).toBe(expected.length * 2);
      const covered = expected.filter((hour) => buckets.some((b) => hourOfTest(b.fromHour) <= hour && hour <= hourOfTest(b.toHour)));
      expect(covered).toEqual([...expected]);
    }
  });

  it('are read a few weeks at a time at first, not the whole of a long history at once', async () => {
    // A message a day for 500 days.
    const daily = (await createWorkspace(t.store, 'daily')).id;
    const cv = newId('cv');
    await t.store.db.insertInto('conversations').values({ id: cv, workspace_id: daily, contact_id: contactId, channel: 'email', status: 'open', assignee_id: null, subject: null, message_count: 0, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) }).execute();
    await t.store.db
      .insertInto('messages')
      .values(Array.from({ length: 500 }, (_, day) => ({ id: newId('msg'), workspace_id: daily, conversation_id: cv, direction: 'inbound' as const, author_type: 'contact' as const, author_id: null, author_name: null, channel: 'email' as const, body: 'hello', subject: null, status: null, sender_id: null, created_at: at(day * 24) })))
      .execute();
    const queries: CompiledQuery[] = [];
    const { db } = loggingConnection(t, queries);
    try {
      const buckets = new BucketsNewestFirst(db, daily, {});
      const grouped = () => queries.filter((q) => /sum\(/i.test(q.sql));
      let messages = 0;
      let next = await buckets.next();
      for (; next && grouped().length < 3; next = await buckets.next()) messages += next.messages;
      // The third grouped read (hours, days, then weeks) is the first of weeks. Its parameters
      // are the workspace and its hours' bounds: it reaches eight weeks back, not 64.
      const weeks = grouped()[2]!;
      expect(Number(weeks.parameters[2]) - Number(weeks.parameters[1])).toBeLessThan(8 * 168);
      // And the rest of the history is still read, by the reads after it.
      for (; next; next = await buckets.next()) messages += next.messages;
      expect(messages).toBe(500);
    } finally {
      await db.destroy();
    }
  });

  it('stay exact when one statement writes many messages, in two workspaces and into hours already started', async () => {
    // PostgreSQL keeps buckets, search versions and the full-text index in step once per statement
    // (its migration 0011), SQLite once per row: both must end where the messages say.
    const [first, second, untouched] = await Promise.all(['bulk-a', 'bulk-b', 'bulk-c'].map(async (slug) => (await createWorkspace(t.store, slug)).id));
    const conversationIn = async (workspace: string) => {
      const id = newId('cv');
      await t.store.db.insertInto('conversations').values({ id, workspace_id: workspace, contact_id: contactId, channel: 'email', status: 'open', assignee_id: null, subject: null, message_count: 0, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) }).execute();
      return id;
    };
    const conversations = { [first!]: await conversationIn(first!), [second!]: await conversationIn(second!), [untouched!]: await conversationIn(untouched!) };
    const message = (workspace: string, hour: number, minute: number) => ({
      id: newId('msg'), workspace_id: workspace, conversation_id: conversations[workspace]!, direction: 'inbound' as const, author_type: 'contact' as const,
      author_id: null, author_name: null, channel: 'email' as const, body: `quokka ${hour}`, subject: null, status: null, sender_id: null, created_at: at(hour, minute),
    });
    // Hour 7 of the first workspace and hour 2 of the others are started before the bulk write.
    await t.store.db.insertInto('messages').values([message(first!, 7, 50), message(second!, 2, 0), message(untouched!, 2, 0)]).execute();
    const versions = async () => {
      const rows = await t.store.db.selectFrom('conversation_search_versions').select(['workspace_id', 'version']).where('workspace_id', 'in', [first!, second!, untouched!]).execute();
      return Object.fromEntries(rows.map((r) => [r.workspace_id, Number(r.version)]));
    };
    const before = await versions();
    // One statement: the workspaces interleaved, hours out of order, several messages an hour.
    const hours = [7, 3, 7, 120, 3, 2, 7, 0, 120, 2];
    await t.store.db.insertInto('messages').values(hours.flatMap((hour, i) => [message(first!, hour, i), message(second!, hour, 59 - i)])).execute();
    const after = await versions();
    expect(after[first!]).toBeGreaterThan(before[first!]!);
    expect(after[second!]).toBeGreaterThan(before[second!]!);
    expect(after[untouched!]).toBe(before[untouched!]);
    for (const workspace of [first!, second!, untouched!]) {
      const messages = await t.store.db.selectFrom('messages').select(['seq', 'created_at']).where('workspace_id', '=', workspace).execute();
      const expected = new Map<number, { hour: number; min_seq: number; max_seq: number; messages: number }>();
      for (const m of messages) {
        const hour = Math.floor(Date.parse(m.created_at) / HOUR_MS);
        const b = expected.get(hour) ?? { hour, min_seq: Infinity, max_seq: -Infinity, messages: 0 };
        expected.set(hour, { hour, min_seq: Math.min(b.min_seq, Number(m.seq)), max_seq: Math.max(b.max_seq, Number(m.seq)), messages: b.messages + 1 });
      }
      const buckets = await t.store.db.selectFrom('message_time_buckets').select(['hour', 'min_seq', 'max_seq', 'messages']).where('workspace_id', '=', workspace).orderBy('hour').execute();
      expect(buckets.map((b) => ({ hour: Number(b.hour), min_seq: Number(b.min_seq), max_seq: Number(b.max_seq), messages: Number(b.messages) }))).toEqual(
        [...expected.values()].sort((a, b) => a.hour - b.hour),
      );
    }
    // And the index holds every one of them: each hour's word finds its conversation in both workspaces.
    for (const hour of new Set(hours)) {
      for (const workspace of [first!, second!]) {
        const found = await rankNewestMatches(engine, search({ workspaceId: workspace, query: parseSearchQuery(`quokka ${hour}`) }));
        expect(found.ranked.map((r) => r.id), `hour ${hour}`).toEqual([conversations[workspace]]);
      }
    }
  });

  it('are built from the messages already there when the migration runs', async () => {
    const { store: older, drop } = await freshUnmigratedStore();
    try {
      const migrations = older.dialect === 'postgres' ? postgresMigrations : sqliteMigrations;
      await new Migrator({ db: older.db, provider: { getMigrations: async () => migrations } }).migrateTo('0007_user_signed_out_at');
      const id = (await createWorkspace(older, 'before')).id;
      await older.db.insertInto('contacts').values({ id: contactId, workspace_id: id, first_name: 'Ana', last_name: null, email: null, email_norm: null, phone: null, phone_norm: null, whatsapp: null, whatsapp_norm: null, name_norm: 'ana', archived: 0, ai_paused: 0, last_channel: null, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) }).execute();
      const cv = newId('cv');
      await older.db.insertInto('conversations').values({ id: cv, workspace_id: id, contact_id: contactId, channel: 'email', status: 'open', assignee_id: null, subject: null, message_count: 2, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) }).execute();
      await older.db
        .insertInto('messages')
        .values([3, 1].map((hour) => ({ id: newId('msg'), workspace_id: id, conversation_id: cv, direction: 'inbound' as const, author_type: 'contact' as const, author_id: null, author_name: null, channel: 'email' as const, body: 'hello', subject: null, status: null, sender_id: null, created_at: at(hour, 59) })))
        .execute();
      await migrateStore(older);
      const buckets = await older.db.selectFrom('message_time_buckets').select(['hour', 'min_seq', 'max_seq', 'messages']).where('workspace_id', '=', id).orderBy('hour').execute();
      expect(buckets.map((b) => ({ hour: Number(b.hour) - START / HOUR_MS, min_seq: Number(b.min_seq), max_seq: Number(b.max_seq), messages: Number(b.messages) }))).toEqual([
        { hour: 1, min_seq: 2, max_seq: 2, messages: 1 },
        { hour: 3, min_seq: 1, max_seq: 1, messages: 1 },
      ]);
    } finally {
      await drop();
    }
  });
});

/** A new empty database with no migrations applied, of the dialect under test. */
async function freshUnmigratedStore(): Promise<{ store: Store; drop(): Promise<void> }> {
  if (TEST_DATABASE_URL) {
    const database = await createEmptyDatabase(TEST_DATABASE_URL);
    const store = await openPostgresStore({ url: database.url, migrate: false });
    return {
      store,
      async drop() {
        await store.close();
        await database.drop();
      },
    };
  }
  const store = await openSqliteStore({ file: join(t.dir, 'older.db'), migrate: false });
  return { store, drop: () => store.close() };
}
