import type { Kysely } from 'kysely';
import { prepared } from './prepared.js';
import type { Database } from './schema.js';
import type {
  ConversationHitSearch,
  ConversationPage,
  ConversationPageOptions,
  ConversationSearch,
  MessageHit,
  RankedId,
  RankKey,
  Ranking,
} from './search.js';

/**
 * Remembers what a conversation search computed from the messages — the top of its ranking and
 * the matching messages' snippets — so asking again (the next page, the same question from
 * another client) scores and cuts nothing again. Ranking is the costly part: every matching
 * message is scored, 9,000 of them for a common phrase in a million messages. The conversations'
 * own fields (status, preview, contact name) are not kept here and are always read fresh.
 *
 * Entries are labelled with the workspace's conversation search version, which triggers move on
 * in the same transaction as any change that could alter a ranking or a snippet (see the 0004
 * migrations). The version is read before the database is searched, so an entry is never older
 * than its label, and a write through any replica retires every replica's entries at their next
 * search.
 */

/** How much of a ranking is kept: ten pages of the default 20, two of the largest (100). */
export const CACHED_RANKING_DEPTH = 201;
/** Rankings remembered per process, least recently used forgotten first: at most ≈ 5 MB. */
export const CACHED_SEARCHES = 256;
/**
 * Conversations whose matching messages (up to 3 snippets each, ≈ 1.4 KB) are kept per search,
 * and searches kept: five pages of 20, at most ≈ 18 MB in all, typically a few MB.
 */
export const CACHED_HIT_CONVERSATIONS = 100;
export const CACHED_HIT_SEARCHES = 128;

interface CachedRanking {
  version: number;
  /** The first CACHED_RANKING_DEPTH results in rank order, or all of them when `complete`. */
  ranked: RankedId[];
  complete: boolean;
  /** The ranking's `since`: it holds the matches from then on only. */
  since: string | undefined;
}

interface Hits {
  version: number;
  /** A conversation's matching messages, newest first; empty when it has none. */
  byConversation: Map<string, MessageHit[]>;
}

type Rank = (p: ConversationSearch) => Promise<Ranking>;
type FindHits = (p: ConversationHitSearch) => Promise<MessageHit[]>;

const versionOf = prepared((db, v: { workspaceId: string }) =>
  db.selectFrom('conversation_search_versions').select('version').where('workspace_id', '=', v.workspaceId),
);

function isAfter(row: RankKey, after: RankKey): boolean {
  return row.score > after.score || (row.score === after.score && row.seq > after.seq);
}

/** A Map that forgets its least recently used key beyond `capacity` (Map keeps insertion order). */
class Lru<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) this.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

export class ConversationSearchCache {
  private readonly rankings: Lru<CachedRanking>;
  private readonly hits: Lru<Hits>;

  constructor(
    private readonly db: Kysely<Database>,
    capacity = { rankings: CACHED_SEARCHES, hits: CACHED_HIT_SEARCHES },
  ) {
    this.rankings = new Lru(capacity.rankings);
    this.hits = new Lru(capacity.hits);
  }

  /**
   * The page of `p` from the cache when it holds that far down, else from `rank` (the uncached
   * search). A first page fills the cache; a later page whose ranking is not cached goes
   * straight to `rank`, so no request ranks twice. A later page continues the ranking its first
   * page had (the cursor carries its `since`): when the cached one is another (the workspace
   * changed and the newest matches moved on), the page is ranked from the database.
   */
  async conversations(p: ConversationSearch, rank: Rank, version?: number): Promise<Ranking> {
    // Everything that decides a ranking: the search but its page (limit, after, since).
    const key = JSON.stringify([p.workspaceId, p.query.terms, p.created.after ?? null, p.created.before ?? null, p.channel ?? null, p.status ?? null]);
    version ??= await this.versionOf(p.workspaceId);
    let entry = this.rankings.get(key);
    if (entry?.version !== version) {
      this.rankings.delete(key);
      if (p.after || p.since !== undefined) return rank(p);
      const ranking = await rank({ ...p, limit: CACHED_RANKING_DEPTH });
      entry = { version, ranked: ranking.ranked, complete: ranking.ranked.length < CACHED_RANKING_DEPTH, since: ranking.since };
      this.rankings.set(key, entry);
    }
    if (p.since !== undefined && (p.since ?? undefined) !== entry.since) return rank(p);
    const { after } = p;
    const rest = after ? entry.ranked.filter((row) => isAfter(row, after)) : entry.ranked;
    if (rest.length >= p.limit || entry.complete) return { ranked: rest.slice(0, p.limit), since: entry.since };
    return rank({ ...p, since: entry.since ?? null });
  }

  /**
   * The matching messages of the given conversations, from the cache for those it holds and
   * from `find` (the uncached search) for the others, grouped by conversation in id order.
   */
  async conversationHits(p: ConversationHitSearch, find: FindHits, version?: number): Promise<MessageHit[]> {
    // Everything that decides a conversation's hits but the conversation.
    const key = JSON.stringify([p.workspaceId, p.query.terms, p.created.after ?? null, p.created.before ?? null, p.perParent]);
    version ??= await this.versionOf(p.workspaceId);
    let entry = this.hits.get(key);
    if (entry?.version !== version) {
      entry = { version, byConversation: new Map() };
      this.hits.set(key, entry);
    }
    const { byConversation } = entry;
    const ids = [...new Set(p.conversationIds)];
    const missing = ids.filter((id) => !byConversation.has(id));
    // Deeper pages are found each time rather than kept.
    if (byConversation.size + missing.length > CACHED_HIT_CONVERSATIONS) return find(p);
    if (missing.length > 0) {
      const found = await find({ ...p, conversationIds: missing });
      for (const id of missing) byConversation.set(id, []);
      for (const hit of found) byConversation.get(hit.parentId)?.push(hit);
    }
    return ids.sort().flatMap((id) => byConversation.get(id) ?? []);
  }

  /**
   * A page of results and its matching messages, reading the version once for both. The matching
   * messages are those the ranking ranked: from its `since` on, when it has one.
   */
  async page(p: ConversationSearch, page: ConversationPageOptions, rank: Rank, find: FindHits): Promise<ConversationPage> {
    const version = await this.versionOf(p.workspaceId);
    const ranking = await this.conversations(p, rank, version);
    const conversationIds = ranking.ranked.slice(0, page.size).map((row) => row.id);
    const created = ranking.since === undefined ? p.created : { ...p.created, after: ranking.since };
    const hits = conversationIds.length
      ? await this.conversationHits({ workspaceId: p.workspaceId, query: p.query, created, perParent: page.perParent, conversationIds }, find, version)
      : [];
    return { ...ranking, hits };
  }

  /** Searches held now (for tests). */
  get size(): number {
    return this.rankings.size;
  }

  private async versionOf(workspaceId: string): Promise<number> {
    const { rows } = await versionOf(this.db, { workspaceId });
    return Number(rows[0]?.version ?? 0);
  }
}
