import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import { getContact, listContacts, searchContacts } from '../src/tools/contacts.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;

function contact(workspaceId: string, i: number, extra: Record<string, unknown> = {}) {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
  return {
    id: newId('ct'),
    workspace_id: workspaceId,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    email: `person${i}@Example.com`,
    email_norm: `person${i}@example.com`,
    phone: `+1 (415) 555-${String(1000 + i)}`,
    phone_norm: `1415555${String(1000 + i)}`,
    whatsapp: null,
    whatsapp_norm: null,
    name_norm: `first${i} last${i}`,
    archived: i % 5 === 0 ? 1 : 0,
    ai_paused: 0,
    last_channel: null,
    last_message_at: null,
    last_message_preview: null,
    created_at: ts,
    updated_at: ts,
    ...extra,
  };
}

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await t.store.db.insertInto('contacts').values(Array.from({ length: 45 }, (_, i) => contact(acme.id, i))).execute();
  await t.store.db.insertInto('contacts').values([contact(other.id, 99)]).execute();
});
afterAll(() => t.cleanup());

describe('list_contacts', () => {
  it('pages through every contact exactly once, newest first', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await callOk<{ data: Array<{ id: string; updated_at: string }>; next_cursor: string | null; has_more: boolean }>(
        listContacts,
        { workspace_id: 'acme-hotels', limit: 10, ...(cursor ? { cursor } : {}) },
        ctx,
      );
      seen.push(...page.data.map((c) => c.id));
      expect(page.has_more).toBe(page.next_cursor !== null);
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(45);
  });

  it('filters by update time and archived state', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const page = await callOk<{ data: unknown[] }>(
      listContacts,
      { workspace_id: acme.id, updated_after: '2026-01-01T00:40:00Z', archived: false, limit: 100 },
      ctx,
    );
    // minutes 40..44, minus 40 (archived)
    expect(page.data).toHaveLength(4);
  });

  it('refuses a cursor from another filter set', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const first = await callOk<{ next_cursor: string }>(listContacts, { workspace_id: acme.id, limit: 5 }, ctx);
    const error = await callError(listContacts, { workspace_id: acme.id, limit: 5, archived: true, cursor: first.next_cursor }, ctx);
    expect(error).toMatch(/^invalid_argument: cursor/);
  });

  it('is forbidden on a workspace the credential was not granted, by id and by slug', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    expect(await callError(listContacts, { workspace_id: other.id }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(listContacts, { workspace_id: 'other' }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(listContacts, { workspace_id: 'no-such-workspace' }, ctx)).toMatch(/^forbidden:/);
  });
});

describe('get_contact and search_contacts', () => {
  it('gets a contact with its custom attributes, and not one of another workspace', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    const row = await t.store.db.selectFrom('contacts').select('id').where('workspace_id', '=', other.id).executeTakeFirstOrThrow();
    expect(await callError(getContact, { workspace_id: acme.id, contact_id: row.id }, ctx)).toMatch(/^not_found:/);
    const found = await callOk<{ id: string; custom_attributes: object }>(getContact, { workspace_id: other.id, contact_id: row.id }, ctx);
    expect(found).toMatchObject({ id: row.id, custom_attributes: {} });
    expect(await callError(getContact, { workspace_id: acme.id, contact_id: 'cv_123' }, ctx)).toMatch(/contact_id: must be a Contact id/);
  });

  it('matches phone numbers whatever their formatting, and emails case-insensitively', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const byPhone = await callOk<{ data: Array<{ first_name: string }> }>(searchContacts, { workspace_id: acme.id, query: '415-555-1007', field: 'phone' }, ctx);
    expect(byPhone.data.map((c) => c.first_name)).toEqual(['First7']);
    const byEmail = await callOk<{ data: unknown[] }>(searchContacts, { workspace_id: acme.id, query: 'PERSON1' }, ctx);
    expect(byEmail.data.length).toBe(11); // person1, person10..19
    const none = await callOk<{ data: unknown[] }>(searchContacts, { workspace_id: acme.id, query: 'zz%_' }, ctx);
    expect(none.data).toHaveLength(0);
  });
});
