import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import { getAppointment, listAppointments } from '../src/tools/appointments.js';
import { collectPages } from './collect-pages.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const maria = newId('ct');
const statuses = ['scheduled', 'completed', 'cancelled', 'no_show'] as const;

interface AppointmentItem {
  id: string;
  starts_at: string;
  notes?: unknown;
}

// Inserted in reverse start order, with pairs sharing a start time, so the ordering cannot
// come from insertion order alone.
function appointment(workspaceId: string, i: number) {
  const starts = new Date(Date.UTC(2026, 3, 1 + Math.floor(i / 2), 9)).toISOString();
  return {
    id: newId('ap'),
    workspace_id: workspaceId,
    contact_id: i % 4 === 0 ? maria : null,
    title: `Massage ${i}`,
    status: statuses[i % 4]!,
    starts_at: starts,
    ends_at: new Date(Date.parse(starts) + 3_600_000).toISOString(),
    location: i % 2 ? 'Spa' : null,
    notes: `Notes ${i}`,
    created_at: '2026-03-01T00:00:00.000Z',
    updated_at: '2026-03-02T00:00:00.000Z',
  };
}

const rows = Array.from({ length: 25 }, (_, i) => appointment('', 24 - i));

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await t.store.db.insertInto('appointments').values(rows.map((row) => ({ ...row, workspace_id: acme.id }))).execute();
  await t.store.db.insertInto('appointments').values([appointment(other.id, 1)]).execute();
});
afterAll(() => t.cleanup());

describe('list_appointments', () => {
  it('visits every appointment exactly once, earliest start first', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const { items, pages } = await collectPages<AppointmentItem>(listAppointments, { workspace_id: 'acme-hotels' }, ctx, 6);
    expect(pages).toBe(5);
    expect(items.map((a) => a.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const starts = items.map((a) => a.starts_at);
    expect([...starts].sort()).toEqual(starts);
    expect(items[0]).not.toHaveProperty('notes');
    // Equal start times: insertion order (seq ascending).
    const tied = rows.filter((r) => r.starts_at === '2026-04-01T09:00:00.000Z').map((r) => r.id);
    expect(items.slice(0, 2).map((a) => a.id)).toEqual(tied);
  });

  it('filters by contact, status and start time (after inclusive, before exclusive)', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const ids = async (args: Record<string, unknown>) =>
      (await callOk<{ data: AppointmentItem[] }>(listAppointments, { workspace_id: acme.id, limit: 100, ...args }, ctx)).data.map((a) => a.id).sort();
    const want = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).map((r) => r.id).sort();
    expect(await ids({ contact_id: maria })).toEqual(want((r) => r.contact_id === maria));
    expect(await ids({ status: 'no_show' })).toEqual(want((r) => r.status === 'no_show'));
    expect(await ids({ status: 'scheduled', contact_id: maria })).toEqual(want((r) => r.status === 'scheduled' && r.contact_id === maria));
    expect(await ids({ starts_after: '2026-04-10T09:00:00Z' })).toEqual(want((r) => r.starts_at >= '2026-04-10T09:00:00.000Z'));
    expect(await ids({ starts_before: '2026-04-03T09:00:00Z' })).toEqual(want((r) => r.starts_at < '2026-04-03T09:00:00.000Z'));
    expect(await ids({ starts_before: '2026-04-03T09:00:00Z' })).toHaveLength(4);
    expect(await ids({ starts_after: '2026-04-05T00:00:00Z', starts_before: '2026-04-06T00:00:00Z' })).toEqual(
      want((r) => r.starts_at.startsWith('2026-04-05')),
    );
  });

  it('refuses a cursor from another filter set and names bad arguments', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const first = await callOk<{ next_cursor: string }>(listAppointments, { workspace_id: acme.id, limit: 2 }, ctx);
    expect(await callError(listAppointments, { workspace_id: acme.id, status: 'completed', cursor: first.next_cursor }, ctx)).toMatch(/^invalid_argument: cursor/);
    expect(await callError(listAppointments, { workspace_id: acme.id, status: 'done' }, ctx)).toMatch(/^invalid_argument: status:/);
    expect(await callError(listAppointments, { workspace_id: acme.id, starts_before: '2026-13-01' }, ctx)).toMatch(/^invalid_argument: starts_before:/);
  });

  it('is forbidden on a workspace the credential was not granted', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    expect(await callError(listAppointments, { workspace_id: 'other' }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(getAppointment, { workspace_id: other.id, appointment_id: rows[0]!.id }, ctx)).toMatch(/^forbidden:/);
  });
});

describe('get_appointment', () => {
  it('returns every field, notes included', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const row = rows[3]!;
    const { workspace_id: _ws, ...expected } = row;
    expect(await callOk(getAppointment, { workspace_id: acme.id, appointment_id: row.id }, ctx)).toEqual(expected);
  });

  it('is not_found for an unknown id and for another workspace\'s appointment', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    expect(await callError(getAppointment, { workspace_id: acme.id, appointment_id: newId('ap') }, ctx)).toMatch(/^not_found: Appointment ap_/);
    const foreign = await t.store.db.selectFrom('appointments').select('id').where('workspace_id', '=', other.id).executeTakeFirstOrThrow();
    expect(await callError(getAppointment, { workspace_id: acme.id, appointment_id: foreign.id }, ctx)).toMatch(/^not_found:/);
    expect(await callError(getAppointment, { workspace_id: acme.id, appointment_id: 'rs_1' }, ctx)).toMatch(/^invalid_argument: appointment_id:/);
  });
});
