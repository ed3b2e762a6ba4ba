import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';
import type {
  ConversationHitSearch,
  ConversationSearch,
  KnowledgeChunkHit,
  KnowledgeChunkSearch,
  KnowledgeNodeHit,
  KnowledgeNodeSearch,
  MessageHit,
  RankedId,
  RankKey,
  Ranking,
  SearchBackend,
  SearchQuery,
  TicketHit,
  TicketHitSearch,
  TicketSearch,
} from '../search.js';
import { rankNewestMatches, type Interruption, type MatchRow, type RankingQueries, type Slice } from '../conversation-ranking.js';
import { inList, matchRange, pageIsSmall, pathFilter, timeRange, withRelevance } from '../search-sql.js';
import type { SeqRange } from '../search-window.js';
import { seqBlocksQuery } from './seq-blocks.js';

/**
 * Full-text search over the `<table>_fts` tsvector side tables (see migrations.ts), equivalent
 * to the SQLite engine: the same terms match the same rows (the `conduit` configuration
 * tokenizes like unicode61 with remove_diacritics), ranks follow the same "lower score first"
 * convention (score = -ts_rank_cd), and snippets mark matches with `**` and cut with `…`.
 */

/** Marks the matched words in snippets, as the SQLite engine does. */
const MARK = '**';
const ELLIPSIS = '…';
/** ~20 words around the best match, like SQLite's 20-token snippet. */
const HEADLINE_OPTIONS = `StartSel=${MARK}, StopSel=${MARK}, MaxWords=20, MinWords=10, ShortWord=0, MaxFragments=1`;

/**
 * ts_rank_cd weights in {D, C, B, A} order. Bodies are unweighted (D); ticket subjects and
 * knowledge titles are A and summaries/bodies B, in the ratios the SQLite engine gives bm25
 * (subject 2 : summary 1, title 3 : body 1). Normalization 1 divides by 1 + log(length), a mild
 * length penalty as bm25 has.
 */
const BODY_WEIGHTS = '{1.0, 1.0, 1.0, 1.0}';
const TICKET_WEIGHTS = '{0.5, 0.5, 0.5, 1.0}';
const NODE_WEIGHTS = '{0.333, 0.333, 0.333, 1.0}';

/**
 * The tsquery for a parsed query, built term by term with plainto/phraseto_tsquery so no
 * tsquery operator typed by a user can reach the parser: `all` ANDs the terms, `any` ORs them
 * (question-style knowledge search). Both functions are immutable, so the planner folds the
 * query to a constant and can use the GIN index.
 */
export function toTsQuery(query: SearchQuery, mode: 'all' | 'any' = 'all'): RawBuilder<unknown> {
  const parts = query.terms.map((term) =>
    term.phrase ? sql`phraseto_tsquery('conduit', ${term.text})` : sql`plainto_tsquery('conduit', ${term.text})`,
  );
  return sql`(${sql.join(parts, mode === 'all' ? sql` && ` : sql` || `)})`;
}

function rank(weights: string, tsv: RawBuilder<unknown>, query: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(-ts_rank_cd(${weights}::float4[], ${tsv}, ${query}, 1))::float8`;
}

function headline(text: RawBuilder<unknown>, query: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`ts_headline('conduit', ${text}, ${query}, ${HEADLINE_OPTIONS})`;
}

/** Lower-cased and without diacritics, to compare a highlighted word with a query word. */
function fold(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const MARKED = /\*\*([^*]+)\*\*/g;
const WORDY = /[\p{L}\p{N}]/u;

/**
 * ts_headline marks each matching word; SQLite's snippet() marks a phrase match as one span
 * ("**double charge**"). Joins two marked words into one span when only punctuation or spaces
 * separate them and the second follows the first in one of the query's phrases.
 */
function joinPhraseMarks(fragment: string, query: SearchQuery): string {
  const follows = new Set<string>();
  for (const term of query.terms) {
    if (!term.phrase) continue;
    const words = fold(term.text).split(' ');
    for (let i = 1; i < words.length; i++) follows.add(`${words[i - 1]} ${words[i]}`);
  }
  if (follows.size === 0) return fragment;
  const spans = [...fragment.matchAll(MARKED)];
  const joinable = (i: number): boolean => {
    const span = spans[i]!;
    const next = spans[i + 1];
    if (!next) return false;
    const gap = fragment.slice(span.index + span[0].length, next.index);
    const lastWord = span[1]!.split(/[^\p{L}\p{N}]+/u).filter(Boolean).pop() ?? '';
    return !WORDY.test(gap) && follows.has(`${fold(lastWord)} ${fold(next[1]!)}`);
  };
  let out = '';
  let cursor = 0;
  for (let i = 0; i < spans.length; i++) {
    const first = spans[i]!;
    while (joinable(i)) i++;
    const last = spans[i]!;
    const end = last.index + last[0].length;
    out += `${fragment.slice(cursor, first.index)}${MARK}${fragment.slice(first.index, end).replaceAll(MARK, '')}${MARK}`;
    cursor = end;
  }
  return out + fragment.slice(cursor);
}

/**
 * Turns a ts_headline fragment into the snippet the SQLite engine would give: phrase matches
 * marked as one span, and an ellipsis where the fragment cuts words off the text (ts_headline
 * does not say; the fragment is found in the text, which fails only when the text itself
 * contains the mark, and then no ellipsis is added).
 */
export function finishSnippet(text: string, fragment: string, query: SearchQuery): string {
  const plain = fragment.replaceAll(MARK, '');
  const at = plain.length === 0 ? -1 : text.indexOf(plain);
  const joined = joinPhraseMarks(fragment, query);
  if (at < 0) return joined;
  // Like snippet(), keep the punctuation that starts or ends the text ("…my card." not "…my card").
  const head = text.slice(0, at);
  const tail = text.slice(at + plain.length);
  return `${WORDY.test(head) ? ELLIPSIS : head}${joined}${WORDY.test(tail) ? ELLIPSIS : tail}`;
}

/**
 * `AND` the messages in a seq range: the blocks covering it, which the message index answers
 * with the words (postgres/seq-blocks.ts, migration 0010), so only the range's matches are read
 * and rechecked; then the exact bounds.
 */
function seqRange(range: SeqRange): RawBuilder<unknown> {
  const blocks = seqBlocksQuery(range);
  const inBlocks = blocks === undefined ? sql`` : sql`AND f.seq_blocks @@ ${blocks}::tsquery`;
  return sql`${inBlocks} AND f.seq BETWEEN ${range.minSeq} AND ${range.maxSeq}`;
}

/** Keyset condition over (score, seq); PostgreSQL cannot name output columns in WHERE, so callers wrap. */
function afterRank(after: RankKey | undefined): RawBuilder<unknown> {
  return after ? sql`WHERE (score > ${after.score}::float8 OR (score = ${after.score}::float8 AND seq > ${after.seq}))` : sql``;
}

/**
 * The searches on one connection, uncached (the store puts the cache in front, see
 * store/search-engine.ts). Ranking a conversation search checks `signal` between its steps.
 */
export class PostgresSearch implements SearchBackend, RankingQueries {
  constructor(readonly db: Kysely<Database>) {}

  async rankConversations(p: ConversationSearch, options?: { signal?: Interruption | undefined }): Promise<Ranking> {
    if (p.query.terms.length === 0) return { ranked: [] };
    return rankNewestMatches(this, p, options?.signal);
  }

  async sliceMatches(p: ConversationSearch, slice: Slice): Promise<MatchRow[]> {
    const q = toTsQuery(p.query);
    // The index answers the words and the slice's seq blocks together, so only the slice's
    // matches are read, rechecked and scored. All of them: asked for the newest few only
    // (RankingQueries), PostgreSQL still reads and rechecks every match, and sorting them to keep
    // the newest cost more than scoring the rest (a new search of "double charge" at a million
    // messages: 52–58 ms against 50–54).
    const result = await sql<MatchRow>`
      SELECT m.conversation_id, ${rank(BODY_WEIGHTS, sql.ref('f.tsv'), q)} AS score, m.created_at, m.seq
      FROM messages_fts f JOIN messages m ON m.seq = f.seq
      WHERE f.tsv @@ ${q} ${seqRange(slice)}
        AND m.workspace_id = ${p.workspaceId} ${timeRange(sql.ref('m.created_at'), slice.created)}`.execute(this.db);
    return result.rows;
  }

  async findConversationHits(p: ConversationHitSearch): Promise<MessageHit[]> {
    if (p.conversationIds.length === 0 || p.query.terms.length === 0) return [];
    const q = toTsQuery(p.query);
    // A scalar subquery is evaluated row by row, so PostgreSQL tests each of the page's messages
    // through the side table's primary key instead of rechecking every match of the GIN index
    // (see pageIsSmall; its estimate of a phrase's matches is far off, 314 for 9,378).
    let matches = sql`FROM messages m WHERE (SELECT f.tsv FROM messages_fts f WHERE f.seq = m.seq) @@ ${q}`;
    if (!(await pageIsSmall(this.db, p.conversationIds))) {
      const window = await matchRange(this.db, p);
      if (window === null) return [];
      const range = window ? seqRange(window) : sql``;
      matches = sql`FROM messages_fts f JOIN messages m ON m.seq = f.seq WHERE f.tsv @@ ${q} ${range}`;
    }
    // The headline is computed in the outer query, only for the rows kept per conversation.
    const result = await sql<MessageHit & { body: string }>`
      SELECT "parentId", "messageId", "createdAt", body, ${headline(sql.ref('body'), q)} AS snippet FROM (
        SELECT m.conversation_id AS "parentId", m.id AS "messageId", m.created_at AS "createdAt", m.body,
          ROW_NUMBER() OVER (PARTITION BY m.conversation_id ORDER BY m.created_at DESC, m.seq DESC) AS rn
        ${matches} AND m.workspace_id = ${p.workspaceId}
          AND m.conversation_id IN (${inList(p.conversationIds)})
          ${timeRange(sql.ref('m.created_at'), p.created)}
      ) hits WHERE rn <= ${p.perParent}
      ORDER BY "parentId", "createdAt" DESC`.execute(this.db);
    return result.rows.map(({ body, snippet, ...hit }) => ({ ...hit, snippet: finishSnippet(body, snippet, p.query) }));
  }

  async tickets(p: TicketSearch): Promise<RankedId[]> {
    if (p.query.terms.length === 0) return [];
    const q = toTsQuery(p.query);
    const result = await sql<RankedId>`
      WITH h AS (
        SELECT t2.id AS ticket_id, ${rank(TICKET_WEIGHTS, sql.ref('f.tsv'), q)} AS score
        FROM tickets_fts f JOIN tickets t2 ON t2.seq = f.seq
        WHERE f.tsv @@ ${q} AND t2.workspace_id = ${p.workspaceId}
        UNION ALL
        SELECT tm.ticket_id, ${rank(TICKET_WEIGHTS, sql.ref('f.tsv'), q)}
        FROM ticket_messages_fts f JOIN ticket_messages tm ON tm.seq = f.seq
        WHERE f.tsv @@ ${q} AND tm.workspace_id = ${p.workspaceId}
      ), ranked AS (
        SELECT t.id, MIN(h.score) AS score, t.seq
        FROM h JOIN tickets t ON t.id = h.ticket_id
        WHERE TRUE
        ${p.status && p.status.length ? sql`AND t.status IN (${inList(p.status)})` : sql``}
        ${timeRange(sql.ref('t.updated_at'), p.updated)}
        GROUP BY t.id, t.seq
      )
      SELECT id, score, seq FROM ranked
      ${afterRank(p.after)}
      ORDER BY score, seq
      LIMIT ${p.limit}`.execute(this.db);
    return result.rows;
  }

  async ticketHits(p: TicketHitSearch): Promise<TicketHit[]> {
    if (p.ticketIds.length === 0 || p.query.terms.length === 0) return [];
    const q = toTsQuery(p.query);
    // A ticket's snippet comes from the field that holds the whole match, as snippet(-1) picks
    // the best column on SQLite; when the terms are split between subject and summary, from both.
    const ticketText = sql`CASE
      WHEN conduit_tsv(t.subject) @@ ${q} THEN t.subject
      WHEN conduit_tsv(t.summary) @@ ${q} THEN t.summary
      ELSE concat_ws(E'\n', t.subject, t.summary) END`;
    const result = await sql<TicketHit & { body: string }>`
      SELECT "parentId", "messageId", "createdAt", body, ${headline(sql.ref('body'), q)} AS snippet FROM (
        SELECT "parentId", "messageId", "createdAt", body,
          ROW_NUMBER() OVER (PARTITION BY "parentId" ORDER BY "messageId" IS NOT NULL, "createdAt" DESC) AS rn
        FROM (
          SELECT t.id AS "parentId", NULL::text AS "messageId", t.updated_at AS "createdAt", ${ticketText} AS body
          FROM tickets_fts f JOIN tickets t ON t.seq = f.seq
          WHERE f.tsv @@ ${q} AND t.workspace_id = ${p.workspaceId} AND t.id IN (${inList(p.ticketIds)})
          UNION ALL
          SELECT tm.ticket_id, tm.id, tm.created_at, tm.body
          FROM ticket_messages_fts f JOIN ticket_messages tm ON tm.seq = f.seq
          WHERE f.tsv @@ ${q} AND tm.workspace_id = ${p.workspaceId}
            AND tm.ticket_id IN (${inList(p.ticketIds)})
        ) candidates
      ) hits WHERE rn <= ${p.perParent}
      ORDER BY "parentId", rn`.execute(this.db);
    return result.rows.map(({ body, snippet, ...hit }) => ({ ...hit, snippet: finishSnippet(body, snippet, p.query) }));
  }

  async knowledgeChunks(p: KnowledgeChunkSearch): Promise<KnowledgeChunkHit[]> {
    if (p.query.terms.length === 0) return [];
    const q = toTsQuery(p.query, 'any');
    const result = await sql<Omit<KnowledgeChunkHit, 'relevance_score'> & { score: number }>`
      SELECT kc.node_id, kc.id AS chunk_id, n.title AS node_title, n.path AS node_path,
        kc.text AS chunk_text, ${rank(BODY_WEIGHTS, sql.ref('f.tsv'), q)} AS score
      FROM knowledge_chunks_fts f
        JOIN knowledge_chunks kc ON kc.seq = f.seq
        JOIN knowledge_nodes n ON n.id = kc.node_id
      WHERE f.tsv @@ ${q} AND kc.workspace_id = ${p.workspaceId}
      ${pathFilter(sql.ref('n.path'), p.pathPrefixes)}
      ORDER BY score, kc.seq
      LIMIT ${p.maxResults}`.execute(this.db);
    return withRelevance(result.rows);
  }

  async knowledgeNodes(p: KnowledgeNodeSearch): Promise<KnowledgeNodeHit[]> {
    if (p.query.terms.length === 0) return [];
    const q = toTsQuery(p.query);
    const result = await sql<KnowledgeNodeHit>`
      WITH ranked AS (
        SELECT n.id, n.title, n.path, n.kind, n.body, n.updated_at, ${rank(NODE_WEIGHTS, sql.ref('f.tsv'), q)} AS score, n.seq
        FROM knowledge_nodes_fts f JOIN knowledge_nodes n ON n.seq = f.seq
        WHERE f.tsv @@ ${q} AND n.workspace_id = ${p.workspaceId}
        ${pathFilter(sql.ref('n.path'), p.pathPrefix ? [p.pathPrefix] : undefined)}
      )
      SELECT id, title, path, kind, body, updated_at, score, seq FROM ranked
      ${afterRank(p.after)}
      ORDER BY score, seq
      LIMIT ${p.limit}`.execute(this.db);
    return result.rows;
  }
}
