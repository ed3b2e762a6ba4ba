import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import {
  getContactCustomAttributes,
  listCustomAttributes,
  patchContactCustomAttributes,
} from '../src/tools/custom-attributes.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const CREATED = '2026-01-01T00:00:00.000Z';
const NOW = new Date('2026-03-01T12:00:00Z');

interface Attributes {
  contact_id: string;
  attributes: Record<string, string | number | boolean>;
}

async function defineAttribute(workspaceId: string, key: string, type: string, options?: string[]): Promise<string> {
  const id = newId('ca');
  await t.store.db
    .insertInto('custom_attributes')
    .values({
      id,
      workspace_id: workspaceId,
      key,
      label: key.replace(/_/g, ' '),
      type: type as 'string',
      options: options ? JSON.stringify(options) : null,
      created_at: CREATED,
    })
    .execute();
  return id;
}

async function newContact(workspaceId: string, values: Record<string, unknown> = {}): Promise<string> {
  const id = newId('ct');
  await t.store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: workspaceId,
      first_name: 'Ana',
      last_name: null,
      email: `${id}@example.com`,
      email_norm: `${id}@example.com`,
      phone: null,
      phone_norm: null,
      whatsapp: null,
      whatsapp_norm: null,
      name_norm: 'ana',
      archived: 0,
      ai_paused: 0,
      last_channel: null,
      last_message_at: null,
      last_message_preview: null,
      created_at: CREATED,
      updated_at: CREATED,
    })
    .execute();
  const definitions = await t.store.db.selectFrom('custom_attributes').select(['id', 'key']).where('workspace_id', '=', workspaceId).execute();
  for (const [key, value] of Object.entries(values)) {
    const attribute = definitions.find((d) => d.key === key)!;
    await t.store.db.insertInto('contact_attribute_values').values({ contact_id: id, attribute_id: attribute.id, value: JSON.stringify(value) }).execute();
  }
  return id;
}

async function updatedAt(contactId: string): Promise<string> {
  return (await t.store.db.selectFrom('contacts').select('updated_at').where('id', '=', contactId).executeTakeFirstOrThrow()).updated_at;
}

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await defineAttribute(acme.id, 'tier', 'enum', ['gold', 'silver']);
  await defineAttribute(acme.id, 'vip', 'boolean');
  await defineAttribute(acme.id, 'nights', 'number');
  await defineAttribute(acme.id, 'birthday', 'date');
  await defineAttribute(acme.id, 'notes', 'string');
  await defineAttribute(other.id, 'loyalty_id', 'string');
});
afterAll(() => t.cleanup());

const ctx = () => testContext(t.store, credentialFor([acme, other]), { now: () => NOW });

describe('list_custom_attributes', () => {
  it('lists the workspace\'s definitions by key, with options for enums only, page by page', async () => {
    const first = await callOk<{ data: Array<Record<string, unknown>>; next_cursor: string | null }>(listCustomAttributes, { workspace_id: acme.id, limit: 3 }, ctx());
    expect(first.data.map((d) => d.key)).toEqual(['birthday', 'nights', 'notes']);
    expect(first.data[0]).toEqual({ id: expect.stringMatching(/^ca_/), key: 'birthday', label: 'birthday', type: 'date' });
    const second = await callOk<{ data: Array<Record<string, unknown>>; has_more: boolean }>(
      listCustomAttributes,
      { workspace_id: acme.id, limit: 3, cursor: first.next_cursor },
      ctx(),
    );
    expect(second.data.map((d) => d.key)).toEqual(['tier', 'vip']);
    expect(second.data[0]).toMatchObject({ type: 'enum', options: ['gold', 'silver'] });
    expect(second.has_more).toBe(false);
  });
});

describe('get_contact_custom_attributes', () => {
  it('returns the contact\'s values by key, and only for a contact of the workspace', async () => {
    const id = await newContact(acme.id, { tier: 'gold', nights: 3 });
    expect(await callOk<Attributes>(getContactCustomAttributes, { workspace_id: acme.id, contact_id: id }, ctx())).toEqual({
      contact_id: id,
      attributes: { nights: 3, tier: 'gold' },
    });
    expect(await callError(getContactCustomAttributes, { workspace_id: other.id, contact_id: id }, ctx())).toMatch(/^not_found:/);
  });
});

describe('patch_contact_custom_attributes', () => {
  it('sets and removes values, bumps updated_at and returns the whole map', async () => {
    const id = await newContact(acme.id, { tier: 'gold', nights: 3, notes: 'likes quiet rooms' });
    const result = await callOk<Attributes>(
      patchContactCustomAttributes,
      { workspace_id: acme.id, contact_id: id, attributes: { tier: 'silver', vip: true, birthday: '1990-02-28', notes: null } },
      ctx(),
    );
    expect(result).toEqual({ contact_id: id, attributes: { birthday: '1990-02-28', nights: 3, tier: 'silver', vip: true } });
    expect(await updatedAt(id)).toBe(NOW.toISOString());
  });

  it('applies nothing when any key is unknown, naming the unknown keys', async () => {
    const id = await newContact(acme.id, { tier: 'gold' });
    const error = await callError(
      patchContactCustomAttributes,
      { workspace_id: acme.id, contact_id: id, attributes: { tier: 'silver', loyalty_id: 'X1', shoe_size: 42 } },
      ctx(),
    );
    expect(error).toMatch(/^invalid_argument: unknown custom attribute keys: loyalty_id, shoe_size\./);
    expect((await callOk<Attributes>(getContactCustomAttributes, { workspace_id: acme.id, contact_id: id }, ctx())).attributes).toEqual({ tier: 'gold' });
    expect(await updatedAt(id)).toBe(CREATED);
  });

  it('type-checks every value and applies nothing when one is wrong, naming key and expected type', async () => {
    const id = await newContact(acme.id, { tier: 'gold', nights: 3 });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ nights: 4, tier: 'bronze' }, /tier must be one of "gold", "silver" \(enum\), got "bronze"/],
      [{ nights: '4' }, /nights must be a finite number \(number\)/],
      [{ vip: 'yes' }, /vip must be true or false \(boolean\)/],
      [{ birthday: '2026-02-30' }, /birthday must be a date "YYYY-MM-DD" \(date\)/],
      [{ birthday: '1990-1-2' }, /birthday must be a date/],
      [{ notes: 12 }, /notes must be a string \(string\)/],
    ];
    for (const [attributes, message] of cases) {
      const error = await callError(patchContactCustomAttributes, { workspace_id: acme.id, contact_id: id, attributes }, ctx());
      expect(error).toMatch(/^invalid_argument: invalid custom attribute value/);
      expect(error).toMatch(message);
    }
    // Two bad values are reported together.
    const both = await callError(patchContactCustomAttributes, { workspace_id: acme.id, contact_id: id, attributes: { vip: 1, nights: true } }, ctx());
    expect(both).toMatch(/vip must be .*; nights must be/);
    expect((await callOk<Attributes>(getContactCustomAttributes, { workspace_id: acme.id, contact_id: id }, ctx())).attributes).toEqual({ nights: 3, tier: 'gold' });
    expect(await updatedAt(id)).toBe(CREATED);
  });

  it('refuses an empty patch and a contact of another workspace', async () => {
    const id = await newContact(acme.id);
    expect(await callError(patchContactCustomAttributes, { workspace_id: acme.id, contact_id: id, attributes: {} }, ctx())).toMatch(/^invalid_argument: attributes/);
    expect(await callError(patchContactCustomAttributes, { workspace_id: other.id, contact_id: id, attributes: { loyalty_id: 'A' } }, ctx())).toMatch(/^not_found:/);
  });
});
