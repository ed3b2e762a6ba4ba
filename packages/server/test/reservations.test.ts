import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import { getReservation, listReservations, toMajorUnits } from '../src/tools/reservations.js';
import { collectPages } from './collect-pages.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const maria = newId('ct');
const statuses = ['confirmed', 'cancelled', 'checked_in', 'checked_out'] as const;

interface ReservationItem {
  id: string;
  check_in: string;
  confirmation_code: string;
  total_amount: number;
}

// Three reservations arrive each day; inserted newest first so order is not insertion order.
function reservation(workspaceId: string, i: number) {
  const checkIn = new Date(Date.UTC(2026, 4, 1 + Math.floor(i / 3))).toISOString().slice(0, 10);
  return {
    id: newId('rs'),
    workspace_id: workspaceId,
    contact_id: i % 5 === 0 ? maria : null,
    confirmation_code: `AH${String(1000 + i)}X`,
    property: 'Acme Harbor View',
    room_type: 'Standard King',
    check_in: checkIn,
    check_out: new Date(Date.parse(checkIn) + 2 * 86_400_000).toISOString().slice(0, 10),
    guests: 2,
    status: statuses[i % 4]!,
    total_amount_minor: 51_296 + i,
    currency: 'USD',
    created_at: '2026-03-01T00:00:00.000Z',
    updated_at: '2026-03-02T00:00:00.000Z',
  };
}

const rows = Array.from({ length: 32 }, (_, i) => reservation('', 31 - i));

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await t.store.db.insertInto('reservations').values(rows.map((row) => ({ ...row, workspace_id: acme.id }))).execute();
  await t.store.db.insertInto('reservations').values([{ ...reservation(other.id, 0), confirmation_code: 'OTHER1' }]).execute();
});
afterAll(() => t.cleanup());

describe('list_reservations', () => {
  it('visits every reservation exactly once, earliest arrival first', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const { items, pages } = await collectPages<ReservationItem>(listReservations, { workspace_id: 'acme-hotels' }, ctx, 10);
    expect(pages).toBe(4);
    expect(items.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const checkIns = items.map((r) => r.check_in);
    expect([...checkIns].sort()).toEqual(checkIns);
  });

  it('filters by contact, status and check-in dates (after inclusive, before exclusive)', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const ids = async (args: Record<string, unknown>) =>
      (await callOk<{ data: ReservationItem[] }>(listReservations, { workspace_id: acme.id, limit: 100, ...args }, ctx)).data.map((r) => r.id).sort();
    const want = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).map((r) => r.id).sort();
    expect(await ids({ contact_id: maria })).toEqual(want((r) => r.contact_id === maria));
    expect(await ids({ status: 'checked_in' })).toEqual(want((r) => r.status === 'checked_in'));
    expect(await ids({ check_in_after: '2026-05-10' })).toEqual(want((r) => r.check_in >= '2026-05-10'));
    expect(await ids({ check_in_before: '2026-05-03' })).toEqual(want((r) => r.check_in < '2026-05-03'));
    expect(await ids({ check_in_before: '2026-05-03' })).toHaveLength(6);
    expect(await ids({ check_in_after: '2026-05-04', check_in_before: '2026-05-05', status: 'confirmed' })).toEqual(
      want((r) => r.check_in === '2026-05-04' && r.status === 'confirmed'),
    );
  });

  it('finds a reservation by confirmation code, ignoring letter case, and only exactly', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const list = async (code: string) =>
      (await callOk<{ data: ReservationItem[] }>(listReservations, { workspace_id: acme.id, confirmation_code: code }, ctx)).data;
    const byCode = await list(' ah1007x ');
    expect(byCode.map((r) => r.confirmation_code)).toEqual(['AH1007X']);
    expect(await list('AH1007')).toEqual([]);
    expect(await list('OTHER1')).toEqual([]);
  });

  it('refuses a cursor from another filter set and names bad arguments', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const first = await callOk<{ next_cursor: string }>(listReservations, { workspace_id: acme.id, limit: 3 }, ctx);
    expect(await callError(listReservations, { workspace_id: acme.id, status: 'cancelled', cursor: first.next_cursor }, ctx)).toMatch(/^invalid_argument: cursor/);
    expect(await callError(listReservations, { workspace_id: acme.id, check_in_after: '2026-05-10T00:00:00Z' }, ctx)).toMatch(/^invalid_argument: check_in_after:/);
    expect(await callError(listReservations, { workspace_id: acme.id, check_in_before: '2026-02-30' }, ctx)).toMatch(/^invalid_argument: check_in_before:/);
    expect(await callError(listReservations, { workspace_id: acme.id, status: 'booked' }, ctx)).toMatch(/^invalid_argument: status:/);
    expect(await callError(listReservations, { workspace_id: acme.id, confirmation_code: '  ' }, ctx)).toMatch(/^invalid_argument: confirmation_code:/);
  });

  it('is forbidden on a workspace the credential was not granted', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    expect(await callError(listReservations, { workspace_id: 'other' }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(getReservation, { workspace_id: other.id, reservation_id: rows[0]!.id }, ctx)).toMatch(/^forbidden:/);
  });
});

describe('get_reservation', () => {
  it('returns every field with the total in major units', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const row = rows[31]!; // i = 0: total 51,296 cents
    expect(await callOk(getReservation, { workspace_id: acme.id, reservation_id: row.id }, ctx)).toEqual({
      id: row.id,
      confirmation_code: 'AH1000X',
      property: 'Acme Harbor View',
      room_type: 'Standard King',
      check_in: '2026-05-01',
      check_out: '2026-05-03',
      guests: 2,
      status: 'confirmed',
      total_amount: 512.96,
      currency: 'USD',
      contact_id: maria,
      created_at: row.created_at,
      updated_at: row.updated_at,
    });
  });

  it('is not_found for an unknown id and for another workspace\'s reservation', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    expect(await callError(getReservation, { workspace_id: acme.id, reservation_id: newId('rs') }, ctx)).toMatch(/^not_found: Reservation rs_/);
    const foreign = await t.store.db.selectFrom('reservations').select('id').where('workspace_id', '=', other.id).executeTakeFirstOrThrow();
    expect(await callError(getReservation, { workspace_id: acme.id, reservation_id: foreign.id }, ctx)).toMatch(/^not_found:/);
    expect(await callError(getReservation, { workspace_id: acme.id, reservation_id: 'AH1000X' }, ctx)).toMatch(/^invalid_argument: reservation_id:/);
  });
});

describe('toMajorUnits', () => {
  it('uses the currency\'s ISO 4217 decimal places and prints exact decimals', () => {
    expect(toMajorUnits(123_456, 'USD')).toBe(1234.56);
    expect(JSON.stringify(toMajorUnits(1_999_999_999, 'EUR'))).toBe('19999999.99');
    expect(toMajorUnits(15_000, 'JPY')).toBe(15000);
    expect(toMajorUnits(12_345, 'KWD')).toBe(12.345);
    expect(toMajorUnits(10, 'usd')).toBe(0.1);
  });
});
