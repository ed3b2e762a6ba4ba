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

export class Bm25 {
  private constructor(
    private readonly phrases: Phrase[],
    private readonly averageLength: number,
  ) {}

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
    const tokens = ftsTokens(text);
    const norm = K1 * (1 - B + (B * tokens.length) / this.averageLength);
    let sum = 0;
    for (const phrase of this.phrases) {
      const frequency = occurrences(tokens, phrase.tokens);
      sum += (phrase.idf * frequency * (K1 + 1)) / (frequency + norm);
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
  // FTS5 matched the row, so the phrase is in it even where this split and unicode61 differ.
  return Math.max(1, count);
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
