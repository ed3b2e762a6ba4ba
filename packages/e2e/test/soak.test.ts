import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { startPostgresCluster, type PostgresCluster } from '../src/postgres-cluster.js';
import { formatReports, runSoak, type SoakReport } from '../src/soak.js';

/**
 * The soak (src/soak.ts) as a test: a short form in CI (20 clients, 10 s per database) and the
 * long form with `pnpm soak` (SOAK_CLIENTS=50, SOAK_SECONDS=300). Each runs on SQLite, and on a
 * throwaway PostgreSQL cluster when PostgreSQL is installed. The table is printed and written
 * to .tmp/soak/report.md.
 */

const clients = Number(process.env.SOAK_CLIENTS ?? 20);
const seconds = Number(process.env.SOAK_SECONDS ?? 10);
const pgBin = useService('postgres', import.meta.url).path;
const reports: SoakReport[] = [];
let cluster: PostgresCluster | undefined;

afterAll(async () => {
  await cluster?.stop();
  if (reports.length === 0) return;
  const table = formatReports(reports);
  const dir = join(import.meta.dirname, '..', '..', '..', '.tmp', 'soak');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.md'), `${table}\n\n${JSON.stringify(reports, null, 2)}\n`);
  process.stdout.write(`\nsoak: ${clients} clients × ${seconds} s per database\n${table}\n`);
});

/** What every soak must show, whatever its length. */
function expectHealthy(report: SoakReport): void {
  const detail = JSON.stringify({ ...report, rssMb: { ...report.rssMb, samples: undefined } });
  expect(report.fiveXx, detail).toBe(0);
  expect(report.statuses.network ?? 0, detail).toBe(0);
  // Only 200s: the rate limit is raised for the soak, and every call is well-formed.
  expect(report.statuses['200'], detail).toBe(report.requests);
  // The only tool error a well-behaved client can meet here is a concurrent duplicate of its own key.
  expect(Object.keys(report.toolErrors).filter((code) => code !== 'idempotency_key_in_use'), detail).toEqual([]);
  expect(report.writes.acknowledged, detail).toBe(report.writes.keys);
  expect(report.writes.acknowledged, detail).toBeGreaterThan(0);
  expect(report.writes.replayed, detail).toBeGreaterThan(0);
  expect(report.writes.lost, detail).toBe(0);
  expect(report.writes.duplicated, detail).toBe(0);
  expect(report.writes.outboxMismatches, detail).toBe(0);
  expect(report.writes.deliveredOnce, detail).toBe(report.writes.acknowledged);
  // Memory: heap and native allocations bounded, and in a long run flat once warmed up (a leak
  // grows all along: 1 KB per request would add tens of MB between the quarters). File-backed
  // memory is the binaries plus SQLite's memory-mapped file, which its mmap_size (256 MB) bounds.
  expect(report.rssMb.anonMax, detail).toBeLessThan(512);
  expect(report.rssMb.fileLast, detail).toBeLessThan(384);
  if (seconds >= 120) expect(report.rssMb.anonFloorGrowth, detail).toBeLessThan(32);
}

// The run itself plus start-up, the check and on PostgreSQL a cluster: up to 73 s measured for a
// 10 s run on a busy 2-core machine.
const timeout = (seconds + 290) * 1000;

describe(`soak: ${clients} clients, ${seconds} s of mixed reads and keyed writes`, () => {
  it('on SQLite: no 5xx, no lost or duplicated write, every write delivered once', { timeout }, async () => {
    const report = await runSoak({ label: 'sqlite', clients, durationMs: seconds * 1000 });
    reports.push(report);
    expectHealthy(report);
  });

  it.skipIf(!pgBin)('on PostgreSQL: the same', { timeout }, async () => {
    cluster = await startPostgresCluster(pgBin!);
    const url = await cluster.createDatabase('conduit_soak');
    const report = await runSoak({ label: `postgres ${cluster.version}`, clients, durationMs: seconds * 1000, database: url });
    reports.push(report);
    expectHealthy(report);
  });
});
