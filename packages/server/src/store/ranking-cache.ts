import type { Kysely } from 'kysely';
import { prepared } from './prepared.js';
import type { Database } from './schema.js';
import type { ConversationSearch, RankedId, RankKey } from './search.js';

/**
 * Remembers the top of each conversation search's ranking, so asking again (the next page, the
 * same question from another client) does not score every match again. Ranking is the costly
 * part of a search — every matching message is scored, 9,000 of them for a common phrase in a
 * million messages — while the page's summaries and snippets are cheap and are always read fresh.
 *
 * Entries are labelled with the workspace's conversation search version, which triggers move on
 * in the same transaction as any change that could alter a ranking (see the 0004 migrations).
 * The version is read before ranking, so an entry is never older than its label, and a write
 * through any replica retires the cached rankings of every replica at their next search.
 */

/** How much of a ranking is kept: ten pages of the default 20, two of the largest (100). */
export const CACHED_RANKING_DEPTH = 201;
/** Searches remembered per process (least recently used goes first): at most about 6 MB. */
export const CACHED_RANKINGS = 256;

interface Entry {
  version: number;
  /** The first CACHED_RANKING_DEPTH results in rank order, or all of them when `complete`. */
  ranked: RankedId[];
  complete: boolean;
}

const versionOf = prepared((db, v: { workspaceId: string }) =>
  db.selectFrom('conversation_search_versions').select('version').where('workspace_id', '=', v.workspaceId),
);

function isAfter(row: RankKey, after: RankKey): boolean {
  return row.score > after.score || (row.score === after.score && row.seq > after.seq);
}

/** What decides a ranking: everything in the search but the page (limit, after). */
function keyOf(p: ConversationSearch): string {
  return JSON.stringify([p.workspaceId, p.query.terms, p.created.after ?? null, p.created.before ?? null, p.channel ?? null, p.status ?? null]);
}

export class ConversationRankingCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capacity = CACHED_RANKINGS,
  ) {}

  /**
   * The page of `p` from the cache when it holds that far down, else from `rank` (the uncached
   * search). A first page fills the cache; a later page whose ranking is not cached goes
   * straight to `rank`, so no request ranks twice.
   */
  async conversations(p: ConversationSearch, rank: (p: ConversationSearch) => Promise<RankedId[]>): Promise<RankedId[]> {
    const key = keyOf(p);
    const version = await this.versionOf(p.workspaceId);
    let entry = this.entries.get(key);
    if (entry && entry.version !== version) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      if (p.after) return rank(p);
      const ranked = await rank({ ...p, limit: CACHED_RANKING_DEPTH });
      entry = { version, ranked, complete: ranked.length < CACHED_RANKING_DEPTH };
    }
    this.remember(key, entry);
    const { after } = p;
    const rest = after ? entry.ranked.filter((row) => isAfter(row, after)) : entry.ranked;
    if (rest.length >= p.limit || entry.complete) return rest.slice(0, p.limit);
    return rank(p);
  }

  /** Rankings held now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private async versionOf(workspaceId: string): Promise<number> {
    const { rows } = await versionOf(this.db, { workspaceId });
    return Number(rows[0]?.version ?? 0);
  }

  /** Marks the entry most recently used (Map keeps insertion order) and evicts the least. */
  private remember(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
