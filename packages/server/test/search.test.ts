import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';
import { parseSearchQuery, type RankKey, type SearchEngine } from '../src/store/search.js';
import { PostgresSearch } from '../src/store/postgres/search.js';
import { SqliteSearch } from '../src/store/sqlite/search.js';
import type { Store } from '../src/store/store.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

// The SearchEngine contract, checked the same way on whichever dialect createTestStore gives
// (SQLite FTS5, or PostgreSQL tsvector with CONDUIT_TEST_DATABASE_URL): same matches, same
// snippet marks and ellipses, same "lower score first" keyset order.

let t: TestStore;
let search: SearchEngine;
let ws: string;
let other: string;
const conversations: Record<string, string> = {};
let contactId = '';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

async function addConversation(store: Store, workspaceId: string, name: string, bodies: string[]): Promise<string> {
  const id = newId('cv');
  await store.db
    .insertInto('conversations')
    .values({ id, workspace_id: workspaceId, contact_id: contactId, channel: 'email', status: 'open', assignee_id: null, subject: null, message_count: bodies.length, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) })
    .execute();
  for (const [i, body] of bodies.entries()) {
    await store.db
      .insertInto('messages')
      .values({ id: newId('msg'), workspace_id: workspaceId, conversation_id: id, direction: 'inbound', author_type: 'contact', author_id: null, author_name: null, channel: 'email', body, subject: null, status: null, sender_id: null, created_at: at(i + 1) })
      .execute();
  }
  conversations[name] = id;
  return id;
}

async function addNode(workspaceId: string, title: string, body: string): Promise<string> {
  const id = newId('kn');
  await t.store.db
    .insertInto('knowledge_nodes')
    .values({ id, workspace_id: workspaceId, parent_id: null, kind: 'article', title, path: `/${title}`, body, created_at: at(0), updated_at: at(0) })
    .execute();
  await t.store.db.insertInto('knowledge_chunks').values({ id: newId('kc'), workspace_id: workspaceId, node_id: id, position: 0, text: body }).execute();
  return id;
}

async function conversationMatches(query: string): Promise<string[]> {
  const { ranked: rows } = await search.conversations({ workspaceId: ws, query: parseSearchQuery(query), created: {}, limit: 50 });
  const names = Object.fromEntries(Object.entries(conversations).map(([name, id]) => [id, name]));
  return rows.map((r) => names[r.id] ?? r.id).sort();
}

async function snippetFor(name: string, query: string): Promise<string | undefined> {
  const hits = await search.conversationHits({ workspaceId: ws, query: parseSearchQuery(query), conversationIds: [conversations[name]!], created: {}, perParent: 1 });
  return hits[0]?.snippet;
}

beforeAll(async () => {
  t = await createTestStore();
  search = t.store.search;
  ws = (await createWorkspace(t.store, 'acme')).id;
  other = (await createWorkspace(t.store, 'other')).id;
  contactId = newId('ct');
  await t.store.db
    .insertInto('contacts')
    .values({ id: contactId, workspace_id: ws, first_name: 'Ana', last_name: null, email: null, email_norm: null, phone: null, phone_norm: null, whatsapp: null, whatsapp_norm: null, name_norm: 'ana', archived: 0, ai_paused: 0, last_channel: null, last_message_at: null, last_message_preview: null, created_at: at(0), updated_at: at(0) })
    .execute();
  await addConversation(t.store, ws, 'email', ['Please write to ana.lopez@example.com about the invoice.']);
  await addConversation(t.store, ws, 'accents', ['The Café Zürich façade was lovely; naïve question: is breakfast included?']);
  await addConversation(t.store, ws, 'numbers', ['Room 3.5 had a broken e-mail kiosk; order #A-1029 still pending.']);
  await addConversation(t.store, ws, 'apostrophe', ["I don't want the late check-out anymore."]);
  await addConversation(t.store, ws, 'operators', ['Is NEAR OR AND a valid phrase? title:refund * ^ are just characters.']);
  await addConversation(t.store, ws, 'phrase', ['There is a double charge on my card.']);
  await addConversation(t.store, ws, 'apart', ['A double room was booked, and the extra charge came later.']);
  await addConversation(t.store, ws, 'long', [
    'We arrived late on Friday evening after a long drive through the mountains, the reception was closed and nobody answered the phone, so we waited in the car for almost an hour until the night porter found us and finally gave us the refund form for the parking fee that we had paid twice at the gate.',
  ]);
  await addConversation(t.store, other, 'elsewhere', ['A double charge in another workspace.']);
});
afterAll(() => t.cleanup());

describe(`full-text search (${process.env.CONDUIT_TEST_DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  it('matches words inside emails, decimals and hyphenated words, as the unicode61 tokenizer does', async () => {
    expect(await conversationMatches('example')).toEqual(['email']);
    expect(await conversationMatches('lopez')).toEqual(['email']);
    expect(await conversationMatches('5')).toEqual(['numbers']);
    expect(await conversationMatches('mail kiosk')).toEqual(['numbers']);
    expect(await conversationMatches('1029')).toEqual(['numbers']);
    expect(await conversationMatches('don')).toEqual(['apostrophe']);
  });

  it('ignores accents and case on both sides, without stemming', async () => {
    expect(await conversationMatches('cafe zurich')).toEqual(['accents']);
    expect(await conversationMatches('CAFÉ Façade naive')).toEqual(['accents']);
    expect(await conversationMatches('charges')).toEqual([]);
    expect(await conversationMatches('charge')).toEqual(['apart', 'phrase']);
  });

  it('requires every term, matches quoted phrases only as phrases, and stays in the workspace', async () => {
    expect(await conversationMatches('double charge')).toEqual(['apart', 'phrase']);
    expect(await conversationMatches('"double charge"')).toEqual(['phrase']);
    expect(await conversationMatches('"charge double"')).toEqual([]);
    expect(await conversationMatches('double unicorn')).toEqual([]);
  });

  it('searches operator syntax as plain words', async () => {
    expect(await conversationMatches('NEAR OR AND')).toEqual(['operators']);
    expect(await conversationMatches('title:refund')).toEqual(['operators']);
    expect(await conversationMatches('"phrase? title"')).toEqual(['operators']);
  });

  it('marks matches with ** and a phrase as one span, cutting long text with an ellipsis', async () => {
    expect(await snippetFor('phrase', '"double charge"')).toBe('There is a **double charge** on my card.');
    expect(await snippetFor('apart', 'double charge')).toBe('A **double** room was booked, and the extra **charge** came later.');
    expect(await snippetFor('accents', 'cafe')).toMatch(/^The \*\*Café\*\* Zürich/);
    const long = await snippetFor('long', 'refund');
    expect(long).toMatch(/^….*\*\*refund\*\*.*…$/);
    expect(long!.split(/\s+/).length).toBeLessThanOrEqual(22);
  });

  it('pages ranked results by (score, seq) without repeats or gaps', async () => {
    const query = parseSearchQuery('double charge');
    const { ranked: all } = await search.conversations({ workspaceId: ws, query, created: {}, limit: 50 });
    expect(all.map((r) => r.id)[0]).toBe(conversations.phrase);
    const seen: string[] = [];
    let after: RankKey | undefined;
    for (let page = 0; page < 5; page++) {
      const { ranked: rows } = await search.conversations({ workspaceId: ws, query, created: {}, limit: 1, after });
      if (rows.length === 0) break;
      seen.push(rows[0]!.id);
      after = { score: rows[0]!.score, seq: rows[0]!.seq };
    }
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it('finds the same matching messages whether it tests each message or walks the matches', async () => {
    const page = [conversations.phrase!, conversations.apart!, conversations.long!, conversations.elsewhere!];
    // The engine's own search, not the cache in front of it (message_count moves no cache version).
    const engine = t.store.dialect === 'postgres' ? new PostgresSearch(t.store.db) : new SqliteSearch(t.store.db);
    const hits = () =>
      engine.findConversationHits({ workspaceId: ws, query: parseSearchQuery('double charge'), conversationIds: page, created: { after: at(0) }, perParent: 3 });
    const few = await hits();
    expect(few.map((h) => h.parentId).sort()).toEqual([conversations.apart, conversations.phrase].sort());
    // message_count only steers how SQLite finds them: large counts switch it to walking the matches.
    await t.store.db.updateTable('conversations').set({ message_count: 5000 }).where('id', 'in', page).execute();
    try {
      expect(await hits()).toEqual(few);
    } finally {
      await t.store.db.updateTable('conversations').set({ message_count: 1 }).where('id', 'in', page).execute();
    }
  });

  it('finds a page\'s matches between its messages only: not other conversations\' or workspaces\' matches in between, and within the window', async () => {
    // spread's messages lie far apart in the index, with other conversations' matches between them.
    const spread = await addConversation(t.store, ws, 'spread', ['A double charge at check-in.']);
    const between = await addConversation(t.store, ws, 'between', ['Another double charge, not in the page.']);
    await addConversation(t.store, other, 'between elsewhere', ['A double charge elsewhere.']);
    for (const [minute, body] of [[30, 'Still a double charge on the card.'], [40, 'No double charge any more, thanks.'], [50, 'Thanks for the refund.']] as const) {
      await t.store.db
        .insertInto('messages')
        .values({ id: newId('msg'), workspace_id: ws, conversation_id: spread, direction: 'inbound', author_type: 'contact', author_id: null, author_name: null, channel: 'email', body, subject: null, status: null, sender_id: null, created_at: at(minute) })
        .execute();
    }
    await t.store.db.updateTable('conversations').set({ message_count: 4 }).where('id', '=', spread).execute();
    const engine = t.store.dialect === 'postgres' ? new PostgresSearch(t.store.db) : new SqliteSearch(t.store.db);
    const hits = (created: { after?: string; before?: string }, perParent: number) =>
      engine.findConversationHits({ workspaceId: ws, query: parseSearchQuery('"double charge"'), conversationIds: [spread, conversations.phrase!], created, perParent });
    const snippets = (found: Awaited<ReturnType<typeof hits>>) => found.filter((h) => h.parentId === spread).map((h) => h.snippet);
    expect(snippets(await hits({}, 3))).toEqual(['No **double charge** any more, thanks.', 'Still a **double charge** on the card.', 'A **double charge** at check-in.']);
    expect(snippets(await hits({ after: at(2), before: at(40) }, 3))).toEqual(['Still a **double charge** on the card.']);
    expect(snippets(await hits({}, 1))).toEqual(['No **double charge** any more, thanks.']);
    // A window that holds none of the page's messages finds nothing.
    expect(await hits({ after: at(60) }, 3)).toEqual([]);
    expect(await hits({ before: at(1) }, 3)).toEqual([]);
    const all = await hits({}, 3);
    expect(all.some((h) => h.parentId === between)).toBe(false);
    expect(new Set(all.map((h) => h.parentId))).toEqual(new Set([spread, conversations.phrase]));
  });

  it('ranks knowledge chunks on any word, best first, with relative relevance', async () => {
    const refunds = await addNode(ws, 'Refunds', 'Refunds go back to the original card. A refund takes five days.');
    const pets = await addNode(ws, 'Pets', 'Dogs are welcome. Refund of the pet fee is not possible.');
    await addNode(other, 'Refunds elsewhere', 'refund refund refund');
    // Enough other documents that "refund" is not in most of them (bm25 gives such words ~0 weight).
    for (const topic of ['Breakfast', 'Parking lot', 'Spa', 'Late checkout', 'Wifi', 'Towels']) await addNode(ws, topic, `${topic} information for guests.`);
    const hits = await search.knowledgeChunks({ workspaceId: ws, query: parseSearchQuery('refund card days'), maxResults: 10 });
    expect(hits.map((h) => h.node_id)).toEqual([refunds, pets]);
    expect(hits[0]!.relevance_score).toBe(1);
    expect(hits[1]!.relevance_score).toBeGreaterThan(0);
    expect(hits[1]!.relevance_score).toBeLessThan(1);
    const nodes = await search.knowledgeNodes({ workspaceId: ws, query: parseSearchQuery('refunds'), limit: 10 });
    expect(nodes.map((n) => n.id)).toEqual([refunds]);
  });

  it('keeps the index in step with updates and deletes', async () => {
    const id = await addNode(ws, 'Valet', 'Valet parking costs ten euros.');
    expect((await search.knowledgeNodes({ workspaceId: ws, query: parseSearchQuery('euros'), limit: 10 })).map((n) => n.id)).toEqual([id]);
    await t.store.db.updateTable('knowledge_nodes').set({ body: 'Valet parking is free.' }).where('id', '=', id).execute();
    expect(await search.knowledgeNodes({ workspaceId: ws, query: parseSearchQuery('euros'), limit: 10 })).toEqual([]);
    expect((await search.knowledgeNodes({ workspaceId: ws, query: parseSearchQuery('free valet'), limit: 10 })).map((n) => n.id)).toEqual([id]);
    await t.store.db.deleteFrom('knowledge_chunks').where('node_id', '=', id).execute();
    await t.store.db.deleteFrom('knowledge_nodes').where('id', '=', id).execute();
    expect(await search.knowledgeNodes({ workspaceId: ws, query: parseSearchQuery('valet'), limit: 10 })).toEqual([]);
  });
});
