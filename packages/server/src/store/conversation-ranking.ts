import type { Kysely } from 'kysely';
import type { Channel, ConversationStatus, Database } from './schema.js';
import type { ConversationSearch, RankedId, Ranking, TimeRange } from './search.js';
import { BucketsNewestFirst, hourOf, hourStart, windowSeqRange, type Bucket, type SeqRange } from './search-window.js';

/**
 * Most matching messages one conversation search ranks. Ranking scores every match (bm25 or
 * ts_rank_cd), so an unbounded search costs in proportion to the matches of its words in the
 * whole workspace: 9,378 for "double charge" at a million messages, ten times that at ten
 * million, half the messages for a very common word. A search ranks the newest matches, up to
 * this many (and the rest of the hour the last one is in), and says from when (`since`); a
 * search with `created_before` at that time ranks the older ones.
 */
export const MAX_RANKED_MATCHES = 3000;

/** A matching message, as a dialect's slice query returns it. */
export interface MatchRow {
  conversation_id: string;
  score: number;
  created_at: string;
  seq: number;
}

/** A part of the window: its time range and the seq range that holds its messages. */
export interface Slice extends SeqRange {
  created: TimeRange;
}

/** Checked between the queries of a ranking; AbortSignal is one (a pool worker has its own). */
export interface Interruption {
  throwIfAborted(): void;
}

/** What a dialect supplies: its queries, on the connection the ranking runs on. */
export interface RankingQueries {
  readonly db: Kysely<Database>;
  /**
   * The messages in the slice (time range and seq range) matching the query, in the workspace.
   * Given `newest`, a dialect may return only that many, those of highest seq, where that saves
   * it work (SQLite reads and scores a match at a time); or all of them.
   */
  sliceMatches(p: ConversationSearch, slice: Slice, newest?: number): Promise<MatchRow[]>;
}

/** The first slice reads about this many messages: enough for the cap if every message matched. */
const FIRST_SLICE_MESSAGES = MAX_RANKED_MATCHES;
/** No later slice reads fewer (a query has a fixed cost too). */
const SMALLEST_SLICE_MESSAGES = 500;
/** A slice reads at most this many times the messages of the one before it. */
const SLICE_GROWTH = 16;
/** Conversations looked up at a time, in score order (see rankConversations). */
const LOOKUP_BATCH = 64;

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/**
 * Ranks a conversation search by reading its window newest first, a slice of hours at a time,
 * until MAX_RANKED_MATCHES matches are found (or, continuing a limited search, all matches since
 * its `since`). Each slice is sized from the match rate seen so far, so a common word reads a few
 * hours and a rare phrase a few larger slices. The slice that fills the cap is read newest first
 * only as far as the cap needs, where the dialect can stop early. The cut falls on the hour of the
 * last match needed, so `since` is exact: every match at or after it is ranked, none before it.
 */
export async function rankNewestMatches(queries: RankingQueries, p: ConversationSearch, interruption?: Interruption): Promise<Ranking> {
  const window: TimeRange = { after: later(p.created.after, p.since ?? undefined), before: p.created.before };
  const cap = p.since === undefined ? MAX_RANKED_MATCHES : Number.POSITIVE_INFINITY;
  const buckets = new BucketsNewestFirst(queries.db, p.workspaceId, window);
  const rows: MatchRow[] = [];
  let scanned = 0;
  let lastSlice = 0;
  /** The slice that gave exactly the matches still needed (it may hold more), and the lowest seq read of it. */
  let cutShort: { slice: Slice; below: number } | undefined;
  while (rows.length < cap) {
    interruption?.throwIfAborted();
    const first = await buckets.next();
    if (!first) break;
    const rate = (rows.length + 1) / (scanned + 1);
    const wanted = Number.isFinite(cap) ? ((cap - rows.length) / rate) * 1.1 : Number.POSITIVE_INFINITY;
    const target = lastSlice === 0 ? FIRST_SLICE_MESSAGES : Math.max(SMALLEST_SLICE_MESSAGES, Math.min(wanted, lastSlice * SLICE_GROWTH));
    const slice: Bucket[] = [first];
    let messages = first.messages;
    for (let next = await buckets.peek(); next && messages + next.messages <= target; next = await buckets.peek()) {
      slice.push(next);
      messages += next.messages;
      await buckets.next();
    }
    const oldest = slice.at(-1) as Bucket;
    const range: Slice = {
      created: { after: later(window.after, hourStart(oldest.fromHour)), before: earlier(window.before, hourStart(first.toHour + 1)) },
      minSeq: Math.min(...slice.map((b) => b.minSeq)),
      maxSeq: Math.max(...slice.map((b) => b.maxSeq)),
    };
    // The match rate changes over time (the slice's estimate was 1.3 times too low for "double
    // charge" over the demo data's month), so a slice can hold many more matches than the cap
    // still needs. Only the newest of them are read and scored; the rest of the last hour ranked
    // is read below.
    const needed = cap - rows.length;
    const found = await queries.sliceMatches(p, range, Number.isFinite(needed) ? needed : undefined);
    for (const row of found) rows.push(row);
    // Exactly as many as asked for: there may be more (with more, the dialect gave them all).
    if (found.length === needed) cutShort = { slice: range, below: Math.min(...found.map((r) => r.seq)) };
    scanned += messages;
    lastSlice = messages;
  }
  interruption?.throwIfAborted();
  if (cutShort) {
    // The matches of the cut's hour and later that the slice left unread: their seq is below those
    // read (seq need not follow time, so they can be anywhere from that hour's lowest seq on).
    const { slice, below } = cutShort;
    const after = later(slice.created.after, cutOf(rows, cap)) as string;
    const rest = await windowSeqRange(queries.db, p.workspaceId, { after, before: slice.created.before });
    if (rest && rest.minSeq < below) {
      const more = await queries.sliceMatches(p, { created: { after, before: slice.created.before }, minSeq: Math.max(slice.minSeq, rest.minSeq), maxSeq: below - 1 });
      for (const row of more) rows.push(row);
    }
  }

  // A continuation ranks what its first page ranked, and says so as that page did.
  let since = typeof p.since === 'string' && (p.created.after === undefined || p.since > p.created.after) ? p.since : undefined;
  let kept = rows;
  if (rows.length >= cap) {
    const cut = cutOf(rows, cap);
    if (window.after === undefined || cut > window.after) {
      kept = rows.filter((r) => r.created_at >= cut);
      if (kept.length < rows.length || cutShort || (await buckets.peek()) !== undefined) since = cut;
    }
  }
  return { ranked: await rankConversations(queries, p, kept), since };
}

/** The start of the hour of the cap-th newest match: every match from then on is ranked. */
function cutOf(rows: readonly MatchRow[], cap: number): string {
  const byTime = rows.map((r) => r.created_at).sort();
  return hourStart(hourOf(byTime[byTime.length - cap] as string));
}

/**
 * Conversations by their best-scoring kept match, filtered, ordered, after the cursor, limited.
 * The conversations (their seq, which breaks ties, and the channel/status filters) are looked up
 * in score order, a batch at a time, only until the page is full and no tie is left at its end:
 * looking up every matched conversation (≈ 2,500 for a full ranking) cost as much as the ranking.
 */
async function rankConversations(queries: RankingQueries, p: ConversationSearch, matches: readonly MatchRow[]): Promise<RankedId[]> {
  const best = new Map<string, number>();
  for (const m of matches) {
    const score = best.get(m.conversation_id);
    if (score === undefined || m.score < score) best.set(m.conversation_id, m.score);
  }
  const { after } = p;
  const candidates = [...best]
    .filter(([, score]) => !after || score >= after.score)
    .sort((a, b) => a[1] - b[1]);
  const ranked: RankedId[] = [];
  const full = (next: number) => ranked.length >= p.limit && (ranked[p.limit - 1] as RankedId).score < next;
  for (let i = 0; i < candidates.length && !full((candidates[i] as [string, number])[1]); ) {
    // Every candidate sharing the batch's last score comes along, so ties are ordered by seq.
    let end = Math.min(candidates.length, i + Math.max(LOOKUP_BATCH, p.limit - ranked.length));
    while (end < candidates.length && (candidates[end] as [string, number])[1] === (candidates[end - 1] as [string, number])[1]) end++;
    const batch = candidates.slice(i, end);
    i = end;
    let lookup = queries.db
      .selectFrom('conversations')
      .select(['id', 'seq', 'workspace_id'])
      .where('id', 'in', batch.map(([id]) => id));
    if (p.channel) lookup = lookup.where('channel', '=', p.channel as Channel);
    if (p.status) lookup = lookup.where('status', '=', p.status as ConversationStatus);
    for (const row of await lookup.execute()) {
      if (row.workspace_id !== p.workspaceId) continue;
      const seq = Number(row.seq);
      const score = best.get(row.id) as number;
      if (after && !(score > after.score || (score === after.score && seq > after.seq))) continue;
      ranked.push({ id: row.id, score, seq });
    }
    ranked.sort((a, b) => a.score - b.score || a.seq - b.seq);
  }
  return ranked.slice(0, p.limit);
}
