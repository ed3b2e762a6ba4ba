import type { SeqRange } from '../search-window.js';

/**
 * The seq blocks migration 0010 indexes with each message's words: block sizes as shifts,
 * largest first (2^18, 2^14, 2^10 seqs), each a lexeme `b<shift>_<seq >> shift>`. A range is
 * covered by its largest whole blocks and, at its two ends, by smaller ones, the smallest
 * reaching at most 1,023 seqs past each end (the query's exact seq bounds drop those).
 */
const SHIFTS = [18, 14, 10] as const;

/**
 * Past this many blocks the range is most of the index anyway (a top-level block is 262,144
 * messages), and the blocks would only lengthen the query: the words alone are asked for.
 */
const MOST_BLOCKS = 64;

/** The blocks covering [minSeq, maxSeq], as lexemes; undefined when there would be more than MOST_BLOCKS. */
export function seqBlocks(range: SeqRange): string[] | undefined {
  const blocks: string[] = [];
  const cover = (from: number, to: number, level: number): boolean => {
    if (from > to) return true;
    const shift = SHIFTS[level] as number;
    const size = 2 ** shift;
    const smallest = level === SHIFTS.length - 1;
    // The smallest blocks cover the ends whole; larger ones only where the range holds them whole.
    const first = smallest ? Math.floor(from / size) : Math.ceil(from / size);
    const last = smallest ? Math.floor(to / size) : Math.floor((to + 1) / size) - 1;
    if (first > last) return cover(from, to, level + 1);
    if (last - first + 1 + blocks.length > MOST_BLOCKS) return false;
    if (!smallest && !cover(from, first * size - 1, level + 1)) return false;
    for (let block = first; block <= last; block++) blocks.push(`b${shift}_${block}`);
    return smallest || cover((last + 1) * size, to, level + 1);
  };
  return cover(range.minSeq, range.maxSeq, 0) && blocks.length <= MOST_BLOCKS ? blocks : undefined;
}

/** The blocks as a tsquery text, any of them; only `b`, digits and `_`, so nothing needs quoting. */
export function seqBlocksQuery(range: SeqRange): string | undefined {
  return seqBlocks(range)?.join(' | ');
}
