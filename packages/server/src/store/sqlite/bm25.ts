import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { SearchQuery } from '../search.js';

/**
 * FTS5's bm25 formula for conversation rankings, computed from the message text instead of by
 * FTS5's bm25() function. The function finds each phrase's document frequency by counting every
 * row of the whole index that contains it, in every statement: 1 ms for "double charge" at a
 * million messages, 10 ms at ten million, 10 and 100 ms for "the" — the one part of a windowed
 * search that grew with the data instead of the window. Here the frequency is counted once per
 * search, exactly when the phrase is rare and from a sample of the index when it is common
 * (where its exact value barely moves a score), and each match is scored from its text.
 *
 * Same constants and shape as FTS5 (k1 1.2, b 0.75, idf floored at 1e-6, lower is better), the
 * same row count and average length (FTS5's own totals), tokens as unicode61 with
 * remove_diacritics 2 splits and folds them.
 */

const K1 = 1.2;
const B = 0.75;
/** Index rows counted to estimate a common phrase's frequency, in SAMPLES ranges spread over the index. */
const SAMPLE_ROWS = 50_000;
const SAMPLES = 4;
/** Fewer matches than this in the sample: the phrase is rare, and counting it everywhere is cheap. */
const RARE_IN_SAMPLE = 50;

const NON_ASCII = /[\u0080-\uffff]/;
const MARKS = /\p{M}/gu;
const WORD = /[\p{L}\p{N}]+/gu;
/** A character that is part of a token, or a mark that could join one (see countTokens). */
const WORDLIKE = /[\p{L}\p{N}\p{M}]/u;

/** The tokens FTS5's unicode61 tokenizer (remove_diacritics 2) makes of a text. */
export function ftsTokens(text: string): string[] {
  const lower = text.toLowerCase();
  if (NON_ASCII.test(lower)) return lower.normalize('NFD').replace(MARKS, '').match(WORD) ?? [];
  // ASCII only (most messages): the same split without the Unicode regex, several times faster.
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      tokens.push(lower.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) tokens.push(lower.slice(start));
  return tokens;
}

/** A SQLite varint (big-endian groups of 7 bits, the ninth byte whole), as FTS5 stores its totals. */
function varints(block: Uint8Array): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < block.length) {
    let value = 0;
    for (let i = 0; i < 9 && at < block.length; i++) {
      const byte = block[at++] as number;
      if (i === 8) {
        value = value * 256 + byte;
        break;
      }
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
    out.push(value);
  }
  return out;
}

interface Phrase {
  tokens: string[];
  idf: number;
}

/** ASCII letters and digits, A–Z folded to a–z; -1 for every other code unit below 128. */
const ASCII_FOLD = Int16Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? c : -1));

/** Whether text[start, end) is `token` (lowercase ASCII), A–Z folded. */
function spanIs(text: string, start: number, end: number, token: string): boolean {
  if (end - start !== token.length) return false;
  for (let k = 0; k < token.length; k++) if (ASCII_FOLD[text.charCodeAt(start + k)] !== token.charCodeAt(k)) return false;
  return true;
}

/**
 * What score() needs of a text, in one pass and without making its tokens: how many tokens it
 * has, and in `found` how often each phrase occurs. Scoring runs on every match of a ranking
 * (thousands per search), and splitting each text into strings was a sixth of a search's time.
 * Gives -1 when the text has a letter, digit or mark outside ASCII: ftsTokens' Unicode path
 * (case folding, diacritics) decides those. Other characters outside ASCII (dashes, quotes,
 * spaces) separate tokens there too, so they do here. The phrases' tokens are lowercase ASCII.
 */
function countTokens(text: string, phrases: readonly Phrase[], found: number[], starts: Int32Array, ends: Int32Array): number {
  const ring = starts.length;
  found.fill(0);
  let count = 0;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    // A surrogate is half of a character beyond the BMP, which may be a letter.
    if (c >= 128 && ((c >= 0xd800 && c <= 0xdfff) || WORDLIKE.test(text[i] as string))) return -1;
    if (c < 128 && ASCII_FOLD[c] !== -1) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    starts[count % ring] = start;
    ends[count % ring] = i;
    count++;
    start = -1;
    for (let p = 0; p < phrases.length; p++) {
      const tokens = (phrases[p] as Phrase).tokens;
      if (tokens.length > count) continue;
      let k = 1;
      while (k <= tokens.length) {
        const at = (count - k) % ring;
        if (!spanIs(text, starts[at] as number, ends[at] as number, tokens[tokens.length - k] as string)) break;
        k++;
      }
      if (k > tokens.length) found[p] = (found[p] as number) + 1;
    }
  }
  return count;
}

export class Bm25 {
  /**
   * Working space of score() and scoreTokens(): each phrase's occurrences in the text being
   * scored, and (countTokens only) the spans of its last tokens.
   */
  private readonly found: number[];
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** Whether countTokens can compare the phrases' tokens (all ASCII) with a text's. */
  private readonly asciiPhrases: boolean;

  private constructor(
    private readonly phrases: Phrase[],
    private readonly averageLength: number,
  ) {
    this.found = phrases.map(() => 0);
    const longest = Math.max(1, ...phrases.map((p) => p.tokens.length));
    this.starts = new Int32Array(longest);
    this.ends = new Int32Array(longest);
    this.asciiPhrases = phrases.every((p) => p.tokens.every((token) => !NON_ASCII.test(token)));
  }

  /** The scorer of `query` over messages_fts as it is now. */
  static async for(db: Kysely<Database>, query: SearchQuery): Promise<Bm25> {
    const { rows } = await sql<{ block: Uint8Array }>`SELECT block FROM messages_fts_data WHERE id = 1`.execute(db);
    const [rowCount = 0, tokenCount = 0] = rows[0] ? varints(rows[0].block) : [];
    // Two subqueries: SQLite reads one end of the key for a lone min() or max(), and scans the
    // whole table for both in one SELECT.
    const bounds = await sql<{ lo: number | null; hi: number | null }>`SELECT (SELECT min(seq) FROM messages) AS lo, (SELECT max(seq) FROM messages) AS hi`.execute(db);
    const lo = Number(bounds.rows[0]?.lo ?? 0);
    const hi = Number(bounds.rows[0]?.hi ?? 0);
    const phrases: Phrase[] = [];
    for (const term of query.terms) {
      const tokens = ftsTokens(term.text);
      if (tokens.length === 0) continue;
      const frequency = await documentFrequency(db, `"${tokens.join(' ')}"`, lo, hi, rowCount);
      const idf = Math.log((rowCount - frequency + 0.5) / (frequency + 0.5));
      phrases.push({ tokens, idf: idf > 0 ? idf : 1e-6 });
    }
    return new Bm25(phrases, rowCount > 0 ? tokenCount / rowCount : 1);
  }

  /** The score of a message's text: lower ranks first, as FTS5's bm25() gives. */
  score(text: string): number {
    const length = this.asciiPhrases ? countTokens(text, this.phrases, this.found, this.starts, this.ends) : -1;
    return length < 0 ? this.scoreTokens(ftsTokens(text)) : this.fromCounts(length);
  }

  /** score() from the text's tokens, as ftsTokens makes them (any script). */
  scoreTokens(tokens: readonly string[]): number {
    for (let p = 0; p < this.phrases.length; p++) this.found[p] = occurrences(tokens, (this.phrases[p] as Phrase).tokens);
    return this.fromCounts(tokens.length);
  }

  /** The bm25 sum of a text of `length` tokens in which each phrase occurs `found[p]` times. */
  private fromCounts(length: number): number {
    const norm = K1 * (1 - B + (B * length) / this.averageLength);
    let sum = 0;
    for (let p = 0; p < this.phrases.length; p++) {
      // FTS5 matched the row, so the phrase is in it even where this split and unicode61 differ.
      const frequency = Math.max(1, this.found[p] as number);
      sum += ((this.phrases[p] as Phrase).idf * frequency * (K1 + 1)) / (frequency + norm);
    }
    return -sum;
  }
}

function occurrences(tokens: readonly string[], phrase: readonly string[]): number {
  let count = 0;
  for (let i = 0; i + phrase.length <= tokens.length; i++) {
    let j = 0;
    while (j < phrase.length && tokens[i + j] === phrase[j]) j++;
    if (j === phrase.length) count++;
  }
  return count;
}

/**
 * Rows of the index containing the phrase: counted in SAMPLES ranges of the rowids and scaled up,
 * or counted everywhere when the sample finds it rare (a cost in proportion to its few matches).
 */
async function documentFrequency(db: Kysely<Database>, match: string, lo: number, hi: number, rowCount: number): Promise<number> {
  const count = async (from: number, to: number) => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ${match} AND rowid BETWEEN ${BigInt(from)} AND ${BigInt(to)}`.execute(db);
    return Number(rows[0]?.n ?? 0);
  };
  const span = hi - lo + 1;
  if (span <= SAMPLE_ROWS) return count(lo, hi);
  const each = Math.floor(SAMPLE_ROWS / SAMPLES);
  let found = 0;
  for (let k = 0; k < SAMPLES; k++) {
    const from = lo + Math.floor(((span - each) * k) / (SAMPLES - 1));
    found += await count(from, from + each - 1);
  }
  if (found < RARE_IN_SAMPLE) return count(lo, hi);
  // Matches per rowid in the sample, times the rowids (gaps left by deleted rows count in both).
  return Math.min(rowCount, Math.round((found / (each * SAMPLES)) * span));
}
