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
import { Bm25 } from './bm25.js';

/** Marks the matched words in snippets; models and markdown renderers both read `**bold**`. */
const MARK_OPEN = '**';
const MARK_CLOSE = '**';
const SNIPPET_TOKENS = 20;

/**
 * Renders a parsed query as an FTS5 MATCH expression in which every term is a quoted string,
 * so FTS5 operators typed by a user are searched for as text. `any` joins terms with OR
 * (question-style knowledge search ranks by bm25 over any word); `all` requires every term.
 */
export function toFtsMatch(query: SearchQuery, mode: 'all' | 'any' = 'all'): string {
  const quoted = query.terms.map((term) => `"${term.text.replaceAll('"', '""')}"`);
  return quoted.join(mode === 'all' ? ' ' : ' OR ');
}

/**
 * `AND rowid BETWEEN …` with the bounds bound as integers: better-sqlite3 binds a JS number as a
 * REAL, and FTS5 only seeks to rowid bounds that are INTEGERs; given REALs it walks the whole
 * doclist and leaves the bounds to SQLite (20 ms instead of 0.1 ms for a common word at 1M
 * messages).
 */
function rowidRange(range: SeqRange): RawBuilder<unknown> {
  return sql`AND messages_fts.rowid BETWEEN ${BigInt(range.minSeq)} AND ${BigInt(range.maxSeq)}`;
}

function afterRank(after: RankKey | undefined): RawBuilder<unknown> {
  return after ? sql`HAVING (score > ${after.score} OR (score = ${after.score} AND seq > ${after.seq}))` : sql``;
}

/**
 * The searches on one connection, uncached (the store puts the cache in front, see
 * store/search-engine.ts). Ranking a conversation search checks `signal` between its steps.
 */
export class SqliteSearch implements SearchBackend, RankingQueries {
  /** One scorer per ranking: its phrase frequencies are counted once, for all its slices. */
  private readonly scorers = new WeakMap<ConversationSearch, Promise<Bm25>>();

  constructor(readonly db: Kysely<Database>) {}

  async rankConversations(p: ConversationSearch, options?: { signal?: Interruption | undefined }): Promise<Ranking> {
    return rankNewestMatches(this, p, options?.signal);
  }

  async sliceMatches(p: ConversationSearch, slice: Slice, newest?: number): Promise<MatchRow[]> {
    let scorer = this.scorers.get(p);
    if (!scorer) this.scorers.set(p, (scorer = Bm25.for(this.db, p.query)));
    // FTS5 walks the index in descending rowid order itself, so the limit stops the walk early:
    // the messages past it are neither read from the table nor scored.
    const limit = newest === undefined ? sql`` : sql`ORDER BY messages_fts.rowid DESC LIMIT ${newest}`;
    const result = await sql<{ conversation_id: string; created_at: string; seq: number; body: string }>`
      SELECT m.conversation_id, m.created_at, m.seq, m.body
      FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
      WHERE messages_fts MATCH ${toFtsMatch(p.query)} ${rowidRange(slice)}
        AND m.workspace_id = ${p.workspaceId} ${timeRange(sql.ref('m.created_at'), slice.created)}
      ${limit}`.execute(this.db);
    const bm25 = await scorer;
    return result.rows.map((row) => ({ conversation_id: row.conversation_id, created_at: row.created_at, seq: row.seq, score: bm25.score(row.body) }));
  }

  async findConversationHits(p: ConversationHitSearch): Promise<MessageHit[]> {
    if (p.conversationIds.length === 0) return [];
    const conversations = inList(p.conversationIds);
    const created = timeRange(sql.ref('created_at'), p.created);
    // A small page: its own messages in the window bound one walk of the index, and only the
    // index entries that are theirs reach the table and snippet(). Testing each message instead
    // (rowid = seq) costs FTS5 a fresh lookup per message, about 0.4 ms for a phrase at a million
    // messages: 40 ms for a page of 20 conversations, against 1 ms for the bounded walk.
    // `+rowid` keeps that membership test out of FTS5's own constraints.
    let page = sql`WITH page AS MATERIALIZED (
        SELECT seq FROM messages WHERE conversation_id IN (${conversations}) AND workspace_id = ${p.workspaceId} ${created}
      ),`;
    let range = sql`AND messages_fts.rowid BETWEEN (SELECT min(seq) FROM page) AND (SELECT max(seq) FROM page)
          AND +messages_fts.rowid IN (SELECT seq FROM page)`;
    if (!(await pageIsSmall(this.db, p.conversationIds))) {
      const window = await matchRange(this.db, p);
      if (window === null) return [];
      page = sql`WITH`;
      range = window ? rowidRange(window) : sql``;
    }
    // MATERIALIZED: FTS5 refuses snippet() in the same SELECT as a window function.
    const result = await sql<MessageHit>`
      ${page} h AS MATERIALIZED (
        SELECT m.conversation_id AS parentId, m.id AS messageId, m.created_at AS createdAt, m.seq AS seq,
          snippet(messages_fts, 0, ${MARK_OPEN}, ${MARK_CLOSE}, '…', ${SNIPPET_TOKENS}) AS snippet
        FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
        WHERE messages_fts MATCH ${toFtsMatch(p.query)} ${range} AND m.workspace_id = ${p.workspaceId}
          AND m.conversation_id IN (${conversations})
          ${timeRange(sql.ref('m.created_at'), p.created)}
      )
      SELECT parentId, messageId, createdAt, snippet FROM (
        SELECT parentId, messageId, createdAt, snippet,
          ROW_NUMBER() OVER (PARTITION BY parentId ORDER BY createdAt DESC, seq DESC) AS rn
        FROM h
      ) WHERE rn <= ${p.perParent}
      ORDER BY parentId, createdAt DESC`.execute(this.db);
    return result.rows;
  }

  async tickets(p: TicketSearch): Promise<RankedId[]> {
    const match = toFtsMatch(p.query);
    const result = await sql<RankedId>`
      SELECT t.id AS id, MIN(h.score) AS score, t.seq AS seq
      FROM (
        SELECT t2.id AS ticket_id, bm25(tickets_fts, 2.0, 1.0) AS score
        FROM tickets_fts JOIN tickets t2 ON t2.seq = tickets_fts.rowid
        WHERE tickets_fts MATCH ${match} AND t2.workspace_id = ${p.workspaceId}
        UNION ALL
        SELECT tm.ticket_id, bm25(ticket_messages_fts) AS score
        FROM ticket_messages_fts JOIN ticket_messages tm ON tm.seq = ticket_messages_fts.rowid
        WHERE ticket_messages_fts MATCH ${match} AND tm.workspace_id = ${p.workspaceId}
      ) h JOIN tickets t ON t.id = h.ticket_id
      WHERE 1 = 1
      ${p.status && p.status.length ? sql`AND t.status IN (${inList(p.status)})` : sql``}
      ${timeRange(sql.ref('t.updated_at'), p.updated)}
      GROUP BY t.id
      ${afterRank(p.after)}
      ORDER BY score, seq
      LIMIT ${p.limit}`.execute(this.db);
    return result.rows;
  }

  async ticketHits(p: TicketHitSearch): Promise<TicketHit[]> {
    if (p.ticketIds.length === 0) return [];
    const match = toFtsMatch(p.query);
    // MATERIALIZED for the same reason as in conversationHits().
    const result = await sql<TicketHit>`
      WITH h AS MATERIALIZED (
        SELECT t.id AS parentId, NULL AS messageId, t.updated_at AS createdAt,
          snippet(tickets_fts, -1, ${MARK_OPEN}, ${MARK_CLOSE}, '…', ${SNIPPET_TOKENS}) AS snippet
        FROM tickets_fts JOIN tickets t ON t.seq = tickets_fts.rowid
        WHERE tickets_fts MATCH ${match} AND t.workspace_id = ${p.workspaceId} AND t.id IN (${inList(p.ticketIds)})
        UNION ALL
        SELECT tm.ticket_id, tm.id, tm.created_at,
          snippet(ticket_messages_fts, 0, ${MARK_OPEN}, ${MARK_CLOSE}, '…', ${SNIPPET_TOKENS})
        FROM ticket_messages_fts JOIN ticket_messages tm ON tm.seq = ticket_messages_fts.rowid
        WHERE ticket_messages_fts MATCH ${match} AND tm.workspace_id = ${p.workspaceId}
          AND tm.ticket_id IN (${inList(p.ticketIds)})
      )
      SELECT parentId, messageId, createdAt, snippet FROM (
        SELECT parentId, messageId, createdAt, snippet,
          ROW_NUMBER() OVER (PARTITION BY parentId ORDER BY messageId IS NOT NULL, createdAt DESC) AS rn
        FROM h
      ) WHERE rn <= ${p.perParent}
      ORDER BY parentId, rn`.execute(this.db);
    return result.rows;
  }

  async knowledgeChunks(p: KnowledgeChunkSearch): Promise<KnowledgeChunkHit[]> {
    const result = await sql<Omit<KnowledgeChunkHit, 'relevance_score'> & { score: number }>`
      SELECT kc.node_id, kc.id AS chunk_id, n.title AS node_title, n.path AS node_path,
        kc.text AS chunk_text, bm25(knowledge_chunks_fts) AS score
      FROM knowledge_chunks_fts
        JOIN knowledge_chunks kc ON kc.seq = knowledge_chunks_fts.rowid
        JOIN knowledge_nodes n ON n.id = kc.node_id
      WHERE knowledge_chunks_fts MATCH ${toFtsMatch(p.query, 'any')} AND kc.workspace_id = ${p.workspaceId}
      ${pathFilter(sql.ref('n.path'), p.pathPrefixes)}
      ORDER BY score, kc.seq
      LIMIT ${p.maxResults}`.execute(this.db);
    return withRelevance(result.rows);
  }

  async knowledgeNodes(p: KnowledgeNodeSearch): Promise<KnowledgeNodeHit[]> {
    // MATERIALIZED: flattened into the grouped query, bm25() would run in an aggregate context,
    // which FTS5 refuses ("unable to use function bm25 in the requested context").
    const result = await sql<KnowledgeNodeHit>`
      WITH h AS MATERIALIZED (
        SELECT n.id, n.title, n.path, n.kind, n.body, n.updated_at, bm25(knowledge_nodes_fts, 3.0, 1.0) AS score, n.seq AS seq
        FROM knowledge_nodes_fts JOIN knowledge_nodes n ON n.seq = knowledge_nodes_fts.rowid
        WHERE knowledge_nodes_fts MATCH ${toFtsMatch(p.query)} AND n.workspace_id = ${p.workspaceId}
        ${pathFilter(sql.ref('n.path'), p.pathPrefix ? [p.pathPrefix] : undefined)}
      )
      SELECT id, title, path, kind, body, updated_at, score, seq FROM h
      GROUP BY seq
      ${afterRank(p.after)}
      ORDER BY score, seq
      LIMIT ${p.limit}`.execute(this.db);
    return result.rows;
  }
}

