import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedProgressReporter } from '../src/commands/seed-progress.js';
import { COMMIT_ROWS } from '../src/demo/batch.js';
import { seedDemo, type DemoResult, type SeedProgress } from '../src/demo/seed.js';
import type { Store } from '../src/store/store.js';
import { createTestStore, type TestStore } from './helpers.js';

// How a large demo seed is written: in batches another connection sees committed while the seed
// runs, with progress reported per phase, messages in time order, and a failure that says what
// it left behind.

const NOW = new Date('2026-06-15T12:00:00.000Z');
/** Writes about 70,000 rows: more than one commit's worth. */
const SCALE = 10;

let t: TestStore;
let reader: Store;
let result: DemoResult;
const reports: SeedProgress[] = [];
/** Messages another connection counted while the seed was running, one query per phase. */
const seenDuringSeed: Array<Promise<number>> = [];

async function countMessages(store: Store): Promise<number> {
  const row = await store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

// Seeding about 70,000 rows, twice, takes a while on PostgreSQL on a busy machine.
const SEEDING_MS = 180_000;

beforeAll(async () => {
  t = await createTestStore();
  reader = await t.openAnother();
  let phase = '';
  result = await seedDemo(t.store, {
    now: NOW,
    scale: SCALE,
    onProgress(p) {
      reports.push(p);
      if (`${p.workspace} ${p.phase}` === phase) return;
      phase = `${p.workspace} ${p.phase}`;
      seenDuringSeed.push(countMessages(reader));
    },
  });
}, SEEDING_MS);

afterAll(async () => {
  await reader.close();
  await t.cleanup();
});

describe('seedDemo in batches', () => {
  it('commits as it goes: another connection sees messages before the seed is done', async () => {
    expect(Object.values(result.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(COMMIT_ROWS);
    const seen = await Promise.all(seenDuringSeed);
    const total = await countMessages(reader);
    expect(total).toBe(result.counts.messages);
    // Some phase began after a commit that held messages, and before the last one.
    expect(seen.some((n) => n > 0 && n < total)).toBe(true);
  });

  it('reports every phase of both workspaces up to its total, with the rows written so far', () => {
    const finished = reports.filter((p) => p.done === p.total).map((p) => `${p.workspace} ${p.phase}`);
    expect(finished).toEqual([
      'acme-hotels contacts',
      'acme-hotels conversations',
      'acme-hotels tickets',
      'acme-hotels calls',
      'northwind-clinic contacts',
      'northwind-clinic conversations',
      'northwind-clinic tickets',
      'northwind-clinic calls',
    ]);
    // Conversations are generated twice (when each starts, then in that order): two steps each.
    const totals = reports.filter((p) => p.phase === 'conversations' && p.done === p.total).map((p) => p.total / 2);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(result.counts.conversations);
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.rows).toBeGreaterThanOrEqual(reports[i - 1]!.rows);
    expect(reports.at(-1)!.rows).toBeLessThanOrEqual(Object.values(result.counts).reduce((a, b) => a + b, 0));
  });

  it('writes each workspace\'s messages in the order they were sent, as they arrive in production', async () => {
    const { rows } = await sql<{ workspace_id: string; created_at: string }>`
      SELECT workspace_id, created_at FROM messages ORDER BY seq`.execute(t.store.db);
    const last = new Map<string, string>();
    let outOfOrder = 0;
    for (const row of rows) {
      const previous = last.get(row.workspace_id);
      if (previous !== undefined && row.created_at < previous) outOfOrder++;
      last.set(row.workspace_id, row.created_at);
    }
    expect(rows.length).toBe(result.counts.messages);
    expect(outOfOrder).toBe(0);
    // A conversation's row comes before its messages, in the order the conversations start.
    const { rows: starts } = await sql<{ workspace_id: string; created_at: string }>`
      SELECT workspace_id, created_at FROM conversations ORDER BY seq`.execute(t.store.db);
    const firstOf = new Map<string, string>();
    for (const row of starts) {
      expect(row.created_at >= (firstOf.get(row.workspace_id) ?? '')).toBe(true);
      firstOf.set(row.workspace_id, row.created_at);
    }
  });

  it('says that part of the demo is left when a write fails after a commit', async () => {
    const broken = await createTestStore();
    try {
      // A real failure from the database part-way, after the conversations and tickets of the
      // first workspace (more than one commit): its 500th call cannot be written.
      if (broken.store.dialect === 'sqlite') {
        await sql`CREATE TRIGGER fail_late AFTER INSERT ON calls WHEN new.seq = 500 BEGIN SELECT RAISE(ABORT, 'disk is full'); END`.execute(broken.store.db);
      } else {
        await sql.raw(`CREATE FUNCTION fail_late() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          IF NEW.seq = 500 THEN RAISE EXCEPTION 'disk is full'; END IF; RETURN NEW; END $$`).execute(broken.store.db);
        await sql`CREATE TRIGGER fail_late AFTER INSERT ON calls FOR EACH ROW EXECUTE FUNCTION fail_late()`.execute(broken.store.db);
      }
      await expect(seedDemo(broken.store, { now: NOW, scale: SCALE })).rejects.toThrow(/disk is full.*committing part of the demo.*empty database/);
      // What was committed stays; the batch that failed is gone.
      expect(await countMessages(broken.store)).toBeGreaterThan(0);
      const calls = await broken.store.db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(calls.n)).toBeLessThan(500);
      await expect(seedDemo(broken.store, { now: NOW })).rejects.toThrow(/already exists/);
    } finally {
      await broken.cleanup();
    }
  }, SEEDING_MS);
});

describe('seed progress output', () => {
  const phase = (done: number, total = 200): SeedProgress => ({ workspace: 'acme-hotels', phase: 'conversations', done, total, rows: done * 8 });

  it('redraws one line with a bar on a terminal, ending it when the phase completes', () => {
    let text = '';
    let now = 0;
    const report = seedProgressReporter({ isTTY: true, columns: 200, write: (s: string) => (text += s) }, () => now);
    report(phase(50));
    now = 61_000;
    report(phase(200));
    const draws = text.split('\r\x1b[2K').filter(Boolean);
    expect(draws).toHaveLength(2);
    expect(draws[0]).toMatch(/^acme-hotels conversations +█{6}░{18} {2}25% 50\/200 · 400 rows · 0 s$/);
    expect(draws[1]).toMatch(/█{24} 100% 200\/200 · 1,600 rows · 1 min 01 s\n$/);
  });

  it('writes a plain line every few seconds and at the end of a phase elsewhere', () => {
    const lines: string[] = [];
    let now = 0;
    const report = seedProgressReporter({ write: (s: string) => lines.push(s) }, () => now);
    report(phase(10));
    now = 1_000;
    report(phase(20));
    now = 6_000;
    report(phase(30));
    report(phase(200));
    expect(lines).toEqual([
      'seed: acme-hotels conversations 5% (10/200 · 80 rows · 0 s)\n',
      'seed: acme-hotels conversations 15% (30/200 · 240 rows · 6 s)\n',
      'seed: acme-hotels conversations 100% (200/200 · 1,600 rows · 6 s)\n',
    ]);
  });
});
