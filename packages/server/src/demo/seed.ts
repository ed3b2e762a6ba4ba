import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { hashPassword } from '../auth/passwords.js';
import { base32 } from '../ids.js';
import type { Store } from '../store/store.js';
import { BatchInserter } from './batch.js';
import { seedAppointments, seedReservations } from './bookings.js';
import { seedCalls } from './calls.js';
import { CLINIC_PROFILE } from './clinic.js';
import { Clock, currentMinute, DAY } from './clock.js';
import { seedContacts } from './contacts.js';
import type { SeedProgress, SeedRun } from './context.js';
import { seedConversations } from './conversations.js';
import { HOTEL_PROFILE } from './hotel.js';
import type { WorkspaceProfile } from './profile.js';
import { streamRng } from './random.js';
import { planScripts } from './scripted.js';
import { seedKnowledge, setUpWorkspace } from './setup.js';
import { seedTickets } from './tickets.js';

export interface SeedDemoOptions {
  /**
   * Integer ≥ 1 (default 1). Multiplies contacts, conversations (and so messages), tickets and
   * calls; the knowledge trees, agents, skills, appointments and reservations stay as they are.
   * Scale 1 writes about 3,400 conversation messages; scale 300 about a million.
   */
  scale?: number;
  /** Timestamps are placed relative to this (default: the current time, truncated to the minute). */
  now?: Date;
  /** Content (names, ids, bodies) is a pure function of the seed (default DEMO_SEED). */
  seed?: number;
  /**
   * Called as the seed goes (at most every PROGRESS_INTERVAL_MS, and when a phase completes):
   * a seed at scale 3,000 writes about ten million messages and takes a while.
   */
  onProgress?: (progress: SeedProgress) => void;
}

export type { SeedProgress } from './context.js';

export interface DemoResult {
  workspaces: Array<{ id: string; slug: string; name: string }>;
  /** The demo login. The password exists only here: the database keeps its scrypt hash. */
  user: { email: string; password: string };
  /** Rows written, by table. */
  counts: Record<string, number>;
}

export const DEMO_SEED = 0x5eed_2025;
export const DEMO_USER_EMAIL = 'demo@acme-hotels.example';
export const DEMO_PROFILES: readonly WorkspaceProfile[] = [HOTEL_PROFILE, CLINIC_PROFILE];

/** How often onProgress hears about a phase that is under way. */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * Creates the demo workspaces (`acme-hotels`, a hotel group, and `northwind-clinic`) with
 * realistic, internally consistent data, and a demo user who owns both. Rows are generated as
 * they are written, in multi-row batches, committed every COMMIT_ROWS rows, so memory stays flat
 * and each row costs the same at any scale. A failure rolls back what is not committed and
 * says what is left; the database then holds part of the demo and the next seed refuses it
 * (seed into an empty database). Throws if the demo already exists.
 */
export async function seedDemo(store: Store, options: SeedDemoOptions = {}): Promise<DemoResult> {
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`Demo scale must be an integer of at least 1, got ${scale}.`);
  const seed = options.seed ?? DEMO_SEED;
  if (!Number.isInteger(seed)) throw new Error(`Demo seed must be an integer, got ${seed}.`);
  const now = options.now ?? currentMinute();
  if (Number.isNaN(now.getTime())) throw new Error('Demo "now" must be a valid date.');
  await assertNoDemo(store);

  const password = demoPassword();
  const passwordHash = await hashPassword(password);
  let lastReport = 0;
  const out = new BatchInserter(store.db);
  const run: SeedRun = {
    out,
    clock: new Clock(now),
    seed,
    scale,
    progress(ws, phase, done, total) {
      if (!options.onProgress) return;
      const at = performance.now();
      if (done < total && at - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = at;
      options.onProgress({ workspace: ws.profile.slug, phase, done, total, rows: out.rows });
    },
  };
  const workspaces: DemoResult['workspaces'] = [];
  try {
    const owner = { id: streamRng(seed, 'demo-user').id('us') };
    await out.add('users', {
      id: owner.id,
      email: DEMO_USER_EMAIL,
      name: 'Demo User',
      password_hash: passwordHash,
      created_at: run.clock.ago(600 * DAY),
    });
    for (const profile of DEMO_PROFILES) {
      const { ws, attributes } = await setUpWorkspace(run, profile, owner);
      await seedKnowledge(ws);
      await seedContacts(ws, attributes);
      const plan = planScripts(ws);
      await seedConversations(ws, plan);
      await seedTickets(ws, plan);
      await seedCalls(ws);
      await seedAppointments(ws);
      await seedReservations(ws, plan.guests);
      workspaces.push({ id: ws.id, slug: profile.slug, name: profile.name });
    }
    await out.commit();
  } catch (error) {
    await out.abandon().catch(() => undefined);
    if (out.committed === 0) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message} (the demo seed stopped after committing part of the demo; seed into an empty database again)`, { cause: error });
  }
  const counts = { ...out.counts };
  // A large seed leaves a write-ahead log as big as the data; fold it into the database file.
  if (store.dialect === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);
  // The tables went from empty to full: without fresh statistics the next queries are planned
  // for empty tables.
  await store.refreshStatistics();
  return { workspaces, user: { email: DEMO_USER_EMAIL, password }, counts };
}

async function assertNoDemo(store: Store): Promise<void> {
  const slugs = DEMO_PROFILES.map((p) => p.slug);
  const existing = await store.db.selectFrom('workspaces').select('slug').where('slug', 'in', slugs).orderBy('slug').execute();
  if (existing.length > 0) {
    throw new Error(`The demo data already exists: workspace ${existing.map((w) => `"${w.slug}"`).join(' and ')} is present. Seed the demo into an empty database.`);
  }
  const emails = [DEMO_USER_EMAIL, ...DEMO_PROFILES.flatMap((p) => p.staff.map((s) => s.email))];
  const user = await store.db.selectFrom('users').select('email').where('email', 'in', emails).executeTakeFirst();
  if (user) throw new Error(`Cannot seed the demo: a user with the demo email ${user.email} already exists.`);
}

/** 80 random bits, grouped for reading aloud: `k3v9-…`. */
function demoPassword(): string {
  return base32(randomBytes(10)).match(/.{4}/g)?.join('-') ?? '';
}
