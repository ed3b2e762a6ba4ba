import { sql, type CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/demo/seed.js';
import { PostgresSearch } from '../src/store/postgres/search.js';
import { seqBlocks, seqBlocksQuery } from '../src/store/postgres/seq-blocks.js';
import { parseSearchQuery } from '../src/store/search.js';
import { createTestStore, loggingConnection, type TestStore } from './helpers.js';
import { TEST_DATABASE_URL } from './test-database.js';

// PostgreSQL's message index finds a seq range by the blocks each message carries (migration
// 0010, store/postgres/seq-blocks.ts), as FTS5 seeks a rowid range.

/** The seqs a block lexeme stands for. */
function span(block: string): [number, number] {
  const [, shift, index] = /^b(\d+)_(\d+)$/.exec(block)!.map(Number) as [number, number, number];
  return [index * 2 ** shift, (index + 1) * 2 ** shift - 1];
}

describe('seq blocks covering a range', () => {
  const ranges: Array<[number, number]> = [
    [0, 0],
    [1, 1],
    [1023, 1024],
    [1024, 2047],
    [487_005, 802_284],
    [262_144, 524_287],
    [262_143, 524_288],
    [9_999_000, 10_000_500],
  ];
  // And random ones, of every width from one seq to several million.
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 300; i++) {
    const from = Math.floor(random() * 20_000_000);
    ranges.push([from, from + Math.floor(random() ** 3 * 5_000_000)]);
  }

  it('covers every seq of the range, and nothing more than 1,023 seqs past either end', () => {
    let covered = 0;
    for (const [minSeq, maxSeq] of ranges) {
      const blocks = seqBlocks({ minSeq, maxSeq });
      if (blocks === undefined) continue;
      covered += 1;
      const spans = blocks.map(span).sort((a, b) => a[0] - b[0]);
      expect(spans[0]![0]).toBeLessThanOrEqual(minSeq);
      expect(spans[0]![0]).toBeGreaterThan(minSeq - 1024);
      expect(spans.at(-1)![1]).toBeGreaterThanOrEqual(maxSeq);
      expect(spans.at(-1)![1]).toBeLessThan(maxSeq + 1024);
      // No gap and no overlap between consecutive blocks.
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1] + 1);
      expect(blocks.length).toBeLessThanOrEqual(64);
    }
    expect(covered).toBeGreaterThan(250);
  });

  it('gives up on a range of more than 64 blocks, most of a large index, and the words are asked alone', () => {
    expect(seqBlocks({ minSeq: 0, maxSeq: 2 ** 18 * 70 })).toBeUndefined();
    expect(seqBlocksQuery({ minSeq: 0, maxSeq: 2 ** 18 * 70 })).toBeUndefined();
    expect(seqBlocks({ minSeq: 1000, maxSeq: 1000 })).toEqual(['b10_0']);
    expect(seqBlocksQuery({ minSeq: 487_005, maxSeq: 524_287 })).toBe('b10_475 | b10_476 | b10_477 | b10_478 | b10_479 | b14_30 | b14_31');
  });
});

describe.skipIf(!TEST_DATABASE_URL)('the message index on PostgreSQL', () => {
  let t: TestStore;
  let workspaceId: string;

  beforeAll(async () => {
    t = await createTestStore();
    const demo = await seedDemo(t.store, { now: new Date('2026-06-15T12:00:00.000Z') });
    workspaceId = demo.workspaces.find((w) => w.slug === 'acme-hotels')!.id;
  }, 120_000);
  afterAll(() => t?.cleanup());

  it("indexes each message under the blocks seqBlocks gives for its seq", async () => {
    const seqs = (await sql<{ seq: number }>`SELECT seq FROM messages_fts ORDER BY random() LIMIT 200`.execute(t.store.db)).rows.map((r) => r.seq);
    expect(seqs.length).toBeGreaterThan(100);
    for (const seq of seqs) {
      const row = await sql<{ inside: boolean; beside: boolean }>`
        SELECT seq_blocks @@ ${seqBlocksQuery({ minSeq: seq, maxSeq: seq })}::tsquery AS inside,
          seq_blocks @@ ${seqBlocksQuery({ minSeq: seq + 1024, maxSeq: seq + 2047 })}::tsquery AS beside
        FROM messages_fts WHERE seq = ${seq}`.execute(t.store.db);
      expect(row.rows[0]).toEqual({ inside: true, beside: false });
    }
  });

  it("reads a slice's matches from the index, not every match in the database", async () => {
    const query = parseSearchQuery('the');
    const all = await sql<{ n: number; lo: number; hi: number }>`
      SELECT count(*)::int AS n, min(seq) AS lo, max(seq) AS hi FROM messages_fts WHERE tsv @@ plainto_tsquery('conduit', 'the')`.execute(t.store.db);
    const { n, lo, hi } = all.rows[0]!;
    const slice = { minSeq: Math.floor((lo + hi) / 2), maxSeq: Math.floor((lo + hi) / 2) + 100, created: {} };
    const blocks = seqBlocksQuery(slice)!;
    const inBlocks = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM messages_fts WHERE tsv @@ plainto_tsquery('conduit', 'the') AND seq_blocks @@ ${blocks}::tsquery`.execute(t.store.db);
    expect(inBlocks.rows[0]!.n).toBeLessThan(n / 2);

    // The slice query exactly as the ranking sends it, captured, then explained.
    const queries: CompiledQuery[] = [];
    const { db, pool } = loggingConnection(t, queries);
    try {
      const rows = await new PostgresSearch(db).sliceMatches({ workspaceId, query, created: {}, limit: 20 }, slice);
      expect(rows.length).toBeGreaterThan(0);
      const [slicing] = queries;
      // On a table this small the planner reads the range through the primary key instead,
      // which proves nothing about the words' index: without it, in a transaction rolled back.
      const client = await pool!.connect();
      let plan: string;
      try {
        await client.query('BEGIN');
        await client.query('ALTER TABLE messages_fts DROP CONSTRAINT messages_fts_pkey');
        await client.query('SET LOCAL enable_seqscan = off');
        const explained = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${slicing!.sql}`, [...slicing!.parameters]);
        plan = JSON.stringify(explained.rows[0]['QUERY PLAN']);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
      // What the index hands back: the matches in the slice's blocks, not all of them.
      const scans = [...plan.matchAll(/"Index Name":\s*"messages_fts_tsv"[^{}]*?"Actual Rows":\s*(\d+)/g)].map((m) => Number(m[1]));
      expect(scans).toEqual([inBlocks.rows[0]!.n]);
    } finally {
      await db.destroy();
    }
  });
});
