import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import { CALL_SUMMARY_PREVIEW_CHARS, getCall, listCalls } from '../src/tools/calls.js';
import { collectPages } from './collect-pages.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const maria = newId('ct');
const jon = newId('ct');
const statuses = ['completed', 'missed', 'voicemail', 'failed'] as const;
const longSummary = `Guest asked about parking. ${'The valet desk closes at midnight. '.repeat(20)}`;

interface CallSummary {
  id: string;
  contact_id: string | null;
  direction: string;
  status: string;
  started_at: string;
  summary: string | null;
  transcript?: unknown;
}

// Calls i and i+1 share a start time for even i, so ties must be broken by insertion order.
function call(workspaceId: string, i: number, extra: Record<string, unknown> = {}) {
  const started = new Date(Date.UTC(2026, 2, 1, 8, Math.floor(i / 2) * 10)).toISOString();
  return {
    id: newId('cl'),
    workspace_id: workspaceId,
    contact_id: i % 3 === 0 ? maria : i % 3 === 1 ? jon : null,
    direction: i % 2 === 0 ? ('inbound' as const) : ('outbound' as const),
    status: statuses[i % 4]!,
    from_number: '+14155550100',
    to_number: '+14155550199',
    started_at: started,
    ended_at: new Date(Date.parse(started) + 95_000).toISOString(),
    duration_seconds: 95,
    summary: `Call ${i}`,
    transcript: JSON.stringify([
      { speaker: 'contact', name: 'Maria', text: 'Hi, is breakfast included?', at_seconds: 0 },
      { speaker: 'agent', name: 'Aria', text: 'Yes, from 7 to 10.', at_seconds: 3.5 },
    ]),
    created_at: started,
    ...extra,
  };
}

const rows = Array.from({ length: 30 }, (_, i) => call('', i));

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  rows[29] = { ...rows[29]!, summary: longSummary };
  await t.store.db.insertInto('calls').values(rows.map((row) => ({ ...row, workspace_id: acme.id }))).execute();
  await t.store.db.insertInto('calls').values([call(other.id, 0)]).execute();
});
afterAll(() => t.cleanup());

describe('list_calls', () => {
  it('visits every call exactly once, most recent first, ties in a stable order', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const { items, pages } = await collectPages<CallSummary>(listCalls, { workspace_id: 'acme-hotels' }, ctx, 7);
    expect(pages).toBe(5);
    expect(items.map((c) => c.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const starts = items.map((c) => c.started_at);
    expect([...starts].sort().reverse()).toEqual(starts);
    // Among equal start times the later-inserted call comes first (seq desc).
    expect(items.slice(0, 2).map((c) => c.id)).toEqual([rows[29]!.id, rows[28]!.id]);
  });

  it('returns summaries without transcripts, the summary shortened', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const page = await callOk<{ data: CallSummary[] }>(listCalls, { workspace_id: acme.id, limit: 1 }, ctx);
    const first = page.data[0]!;
    expect(first.id).toBe(rows[29]!.id);
    expect(first).not.toHaveProperty('transcript');
    expect(first.summary).toHaveLength(CALL_SUMMARY_PREVIEW_CHARS);
    expect(first.summary!.endsWith('…')).toBe(true);
    expect(longSummary.startsWith(first.summary!.slice(0, -1))).toBe(true);
  });

  it('filters by contact, direction, status and start time', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const list = async (args: Record<string, unknown>) =>
      (await callOk<{ data: CallSummary[] }>(listCalls, { workspace_id: acme.id, limit: 100, ...args }, ctx)).data;
    const expectIds = (got: CallSummary[], want: typeof rows) => expect(got.map((c) => c.id).sort()).toEqual(want.map((r) => r.id).sort());

    expectIds(await list({ contact_id: maria }), rows.filter((r) => r.contact_id === maria));
    expectIds(await list({ direction: 'outbound' }), rows.filter((r) => r.direction === 'outbound'));
    expectIds(await list({ status: 'voicemail' }), rows.filter((r) => r.status === 'voicemail'));
    expectIds(await list({ contact_id: jon, status: 'missed' }), rows.filter((r) => r.contact_id === jon && r.status === 'missed'));
    // started_after is inclusive, started_before exclusive; offsets are normalised to UTC.
    const after = rows[20]!.started_at;
    expectIds(await list({ started_after: after }), rows.filter((r) => r.started_at >= after));
    expectIds(await list({ started_before: after }), rows.filter((r) => r.started_at < after));
    expectIds(await list({ started_after: '2026-03-01T09:00:00+01:00', started_before: '2026-03-01T08:20:00Z' }), rows.filter((r) => r.started_at >= '2026-03-01T08:00:00.000Z' && r.started_at < '2026-03-01T08:20:00.000Z'));
    expect(await list({ contact_id: newId('ct') })).toEqual([]);
  });

  it('pages within a filter and refuses a cursor from another filter set', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const { items } = await collectPages<CallSummary>(listCalls, { workspace_id: acme.id, direction: 'inbound' }, ctx, 4);
    expect(items.map((c) => c.id).sort()).toEqual(rows.filter((r) => r.direction === 'inbound').map((r) => r.id).sort());
    const first = await callOk<{ next_cursor: string }>(listCalls, { workspace_id: acme.id, limit: 2 }, ctx);
    expect(await callError(listCalls, { workspace_id: acme.id, status: 'missed', cursor: first.next_cursor }, ctx)).toMatch(/^invalid_argument: cursor/);
  });

  it('names the bad argument', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    expect(await callError(listCalls, { workspace_id: acme.id, direction: 'sideways' }, ctx)).toMatch(/^invalid_argument: direction:/);
    expect(await callError(listCalls, { workspace_id: acme.id, started_after: 'yesterday' }, ctx)).toMatch(/^invalid_argument: started_after:/);
    expect(await callError(listCalls, { workspace_id: acme.id, contact_id: 'cl_abc' }, ctx)).toMatch(/^invalid_argument: contact_id:/);
    expect(await callError(listCalls, { workspace_id: acme.id, limit: 101 }, ctx)).toMatch(/^invalid_argument: limit:/);
  });

  it('is forbidden on a workspace the credential was not granted', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    expect(await callError(listCalls, { workspace_id: other.id }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(getCall, { workspace_id: 'other', call_id: rows[0]!.id }, ctx)).toMatch(/^forbidden:/);
  });
});

describe('get_call', () => {
  it('returns the whole call with its transcript turns', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const got = await callOk<Record<string, unknown>>(getCall, { workspace_id: acme.id, call_id: rows[29]!.id }, ctx);
    expect(got).toEqual({
      id: rows[29]!.id,
      contact_id: rows[29]!.contact_id,
      direction: 'outbound',
      status: 'missed',
      from_number: '+14155550100',
      to_number: '+14155550199',
      started_at: rows[29]!.started_at,
      ended_at: rows[29]!.ended_at,
      duration_seconds: 95,
      summary: longSummary,
      transcript: [
        { speaker: 'contact', name: 'Maria', text: 'Hi, is breakfast included?', at_seconds: 0 },
        { speaker: 'agent', name: 'Aria', text: 'Yes, from 7 to 10.', at_seconds: 3.5 },
      ],
      created_at: rows[29]!.created_at,
    });
  });

  it('is not_found for an unknown id and for a call of another workspace', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    expect(await callError(getCall, { workspace_id: acme.id, call_id: newId('cl') }, ctx)).toMatch(/^not_found: Call cl_/);
    const foreign = await t.store.db.selectFrom('calls').select('id').where('workspace_id', '=', other.id).executeTakeFirstOrThrow();
    expect(await callError(getCall, { workspace_id: acme.id, call_id: foreign.id }, ctx)).toMatch(/^not_found:/);
    expect(await callOk(getCall, { workspace_id: other.id, call_id: foreign.id }, ctx)).toMatchObject({ id: foreign.id });
    expect(await callError(getCall, { workspace_id: acme.id, call_id: 'ct_abc' }, ctx)).toMatch(/^invalid_argument: call_id:/);
  });
});
