/**
 * Full-text search, one implementation per dialect (FTS5 on SQLite, tsvector on PostgreSQL).
 * Callers pass a parsed query, never raw user syntax, so no search-engine operator typed by
 * a user (or a model) can reach the database's own query language.
 */

/** A word or a quoted phrase from the user's query. Every term must match (AND). */
export interface SearchTerm {
  text: string;
  phrase: boolean;
}

export interface SearchQuery {
  terms: SearchTerm[];
}

/** Ranked-result position for keyset pagination over relevance: lower `score` ranks first. */
export interface RankKey {
  score: number;
  seq: number;
}

export interface TimeRange {
  after?: string | undefined;
  before?: string | undefined;
}

export interface ConversationSearch {
  workspaceId: string;
  query: SearchQuery;
  created: TimeRange;
  channel?: string | undefined;
  status?: string | undefined;
  limit: number;
  after?: RankKey | undefined;
  /**
   * Continues a ranking (a later page: the cursor carries what its first page had): a time ranks
   * every match at or after it, null every match (the first page was not limited), so every page
   * of one search ranks the same messages. Undefined for a new search, which is limited to the
   * newest MAX_RANKED_MATCHES.
   */
  since?: string | null | undefined;
}

export interface RankedId extends RankKey {
  id: string;
}

/**
 * A conversation ranking. A search ranks at most MAX_RANKED_MATCHES matching messages, the newest
 * (store/conversation-ranking.ts): when its window holds more, `since` is the hour from which
 * matches were ranked, and older ones were left out.
 */
export interface Ranking {
  ranked: RankedId[];
  since?: string | undefined;
}

export interface ConversationHitSearch {
  workspaceId: string;
  query: SearchQuery;
  conversationIds: readonly string[];
  created: TimeRange;
  perParent: number;
}

export interface ConversationPageOptions {
  /** How many of the ranked conversations get their matching messages. */
  size: number;
  perParent: number;
}

export interface ConversationPage extends Ranking {
  hits: MessageHit[];
}

export interface MessageHit {
  parentId: string;
  messageId: string;
  createdAt: string;
  snippet: string;
}

export interface TicketSearch {
  workspaceId: string;
  query: SearchQuery;
  status?: readonly string[] | undefined;
  updated: TimeRange;
  limit: number;
  after?: RankKey | undefined;
}

export interface KnowledgeChunkSearch {
  workspaceId: string;
  query: SearchQuery;
  /** Restrict to these subtrees (path prefixes of the given nodes). */
  pathPrefixes?: readonly string[] | undefined;
  maxResults: number;
}

export interface KnowledgeChunkHit {
  node_id: string;
  chunk_id: string;
  node_title: string;
  node_path: string;
  chunk_text: string;
  /** Higher is better, 0–1, relative to the best hit of this query. */
  relevance_score: number;
}

export interface KnowledgeNodeSearch {
  workspaceId: string;
  query: SearchQuery;
  pathPrefix?: string | undefined;
  limit: number;
  after?: RankKey | undefined;
}

export interface KnowledgeNodeHit extends RankKey {
  id: string;
  title: string;
  path: string;
  kind: string;
  body: string;
  updated_at: string;
}

export interface TicketHitSearch {
  workspaceId: string;
  query: SearchQuery;
  ticketIds: readonly string[];
  perParent: number;
}

/** A ticket's snippet: a subject/summary match (messageId null) or a matching message. */
export type TicketHit = Omit<MessageHit, 'messageId'> & { messageId: string | null };

export interface SearchOptions {
  /**
   * The request's signal: aborted when its client went away. Work not started yet is dropped,
   * and a search under way stops at its next step (see store/conversation-ranking.ts).
   */
  signal?: AbortSignal | undefined;
}

/** What handlers search through: the searches below, the conversation ones behind a cache. */
export interface SearchEngine {
  /** Conversations with at least one message matching, best first. */
  conversations(params: ConversationSearch, options?: SearchOptions): Promise<Ranking>;
  /** Up to `perParent` matching messages of each given conversation, newest first, with snippets. */
  conversationHits(params: ConversationHitSearch, options?: SearchOptions): Promise<MessageHit[]>;
  /**
   * What search_conversations shows: the ranking (as `conversations`) and the matching messages
   * of its first `page.size` conversations (as `conversationHits`, from the ranked messages only
   * when the ranking has a `since`), in one go.
   */
  conversationPage(params: ConversationSearch, page: ConversationPageOptions, options?: SearchOptions): Promise<ConversationPage>;
  /** Tickets whose subject, summary or a message matches, best first. */
  tickets(params: TicketSearch, options?: SearchOptions): Promise<RankedId[]>;
  /** Snippets for tickets: a subject/summary match (messageId null) or matching messages. */
  ticketHits(params: TicketHitSearch, options?: SearchOptions): Promise<TicketHit[]>;
  knowledgeChunks(params: KnowledgeChunkSearch, options?: SearchOptions): Promise<KnowledgeChunkHit[]>;
  knowledgeNodes(params: KnowledgeNodeSearch, options?: SearchOptions): Promise<KnowledgeNodeHit[]>;
}

/**
 * The searches themselves, uncached, one implementation per dialect: in the server process
 * (PostgreSQL, or SQLite on the connection of a transaction) or in a read pool worker on its own
 * connection (store/sqlite/read-pool.ts).
 */
export interface SearchBackend {
  /** The ranking itself: scores the newest matching messages (store/conversation-ranking.ts). */
  rankConversations(p: ConversationSearch, options?: SearchOptions): Promise<Ranking>;
  /** The matching messages themselves, with snippets. */
  findConversationHits(p: ConversationHitSearch, options?: SearchOptions): Promise<MessageHit[]>;
  tickets(p: TicketSearch, options?: SearchOptions): Promise<RankedId[]>;
  ticketHits(p: TicketHitSearch, options?: SearchOptions): Promise<TicketHit[]>;
  knowledgeChunks(p: KnowledgeChunkSearch, options?: SearchOptions): Promise<KnowledgeChunkHit[]>;
  knowledgeNodes(p: KnowledgeNodeSearch, options?: SearchOptions): Promise<KnowledgeNodeHit[]>;
}

/** Most terms a query may have: beyond this, queries get slow and stop meaning much. */
export const MAX_QUERY_TERMS = 16;

/**
 * Splits user text into words and "quoted phrases". Operators of any search syntax
 * (AND, OR, NEAR, *, ^, column filters) are treated as plain words.
 */
export function parseSearchQuery(input: string): SearchQuery {
  const terms: SearchTerm[] = [];
  const pattern = /"([^"]*)"|([^\s"]+)/g;
  for (const match of input.matchAll(pattern)) {
    const phrase = match[1] !== undefined;
    const words = tokenize(match[1] ?? match[2] ?? '');
    if (words.length === 0) continue;
    if (phrase && words.length > 1) terms.push({ text: words.join(' '), phrase: true });
    else for (const word of words) terms.push({ text: word, phrase: false });
  }
  return { terms: terms.slice(0, MAX_QUERY_TERMS) };
}

/** Letters and digits only, lower-cased: what both dialects' tokenizers index. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
