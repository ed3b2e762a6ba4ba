import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import { createRegistry } from '../src/tools/registry.js';
import { reservationTools } from '../src/tools/reservations.js';
import { createSkill, deleteSkill, listSkills, patchSkill, SKILL_BODY_MAX_CHARS, skillTools } from '../src/tools/skills.js';
import { collectPages } from './collect-pages.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, preflightOutcome, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;

interface Skill {
  id: string;
  name: string;
  description: string | null;
  body: string;
  allowed_tools: string[];
  tags: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

const longBody = 'Step. '.repeat(3000).trim();

function skill(workspaceId: string, i: number, extra: Record<string, unknown> = {}) {
  const ts = new Date(Date.UTC(2026, 0, 1 + Math.floor(i / 2))).toISOString();
  return {
    id: newId('sk'),
    workspace_id: workspaceId,
    name: `Seeded ${i}`,
    description: null,
    body: `Body ${i}`,
    allowed_tools: JSON.stringify(['list_reservations']),
    tags: JSON.stringify(['seed']),
    enabled: i % 2,
    created_at: ts,
    updated_at: ts,
    ...extra,
  };
}

const seeded = Array.from({ length: 11 }, (_, i) => skill('', i, i === 0 ? { body: longBody } : {}));
const at = (iso: string) => () => new Date(iso);
const count = async (table: 'skills' | 'agents') =>
  Number((await t.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await t.store.db.insertInto('skills').values(seeded.map((row) => ({ ...row, workspace_id: acme.id }))).execute();
  await t.store.db.insertInto('skills').values([skill(other.id, 0)]).execute();
});
afterAll(() => t.cleanup());

describe('list_skills', () => {
  it('visits every skill exactly once, oldest first, with complete bodies', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const { items, pages } = await collectPages<Skill>(listSkills, { workspace_id: 'acme-hotels' }, ctx, 3);
    expect(pages).toBe(4);
    expect(items.map((s) => s.id)).toEqual(seeded.map((s) => s.id));
    expect(items[0]!.body).toBe(longBody);
    expect(items[1]).toMatchObject({ name: 'Seeded 1', allowed_tools: ['list_reservations'], tags: ['seed'], enabled: true, description: null });
    expect(items[2]!.enabled).toBe(false);
  });

  it('is forbidden on a workspace the credential was not granted', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    expect(await callError(listSkills, { workspace_id: 'other' }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(createSkill, { workspace_id: other.id, name: 'X', body: 'Y' }, ctx)).toMatch(/^forbidden:/);
  });
});

describe('skill writes', () => {
  it('creates, patches and deletes a skill', async () => {
    const created = await callOk<Skill>(
      createSkill,
      {
        workspace_id: acme.id,
        name: 'Late check-out',
        body: 'Gold members get late check-out until 2pm.',
        allowed_tools: ['get_contact', 'send_conversation_message', 'get_contact'],
        tags: ['front-desk', 'front-desk'],
      },
      testContext(t.store, credentialFor([acme]), { now: at('2026-06-01T10:00:00Z') }),
    );
    expect(created).toEqual({
      id: expect.stringMatching(/^sk_[0-9a-z]+$/),
      name: 'Late check-out',
      description: null,
      body: 'Gold members get late check-out until 2pm.',
      allowed_tools: ['get_contact', 'send_conversation_message'],
      tags: ['front-desk'],
      enabled: true,
      created_at: '2026-06-01T10:00:00.000Z',
      updated_at: '2026-06-01T10:00:00.000Z',
    });

    const later = testContext(t.store, credentialFor([acme]), { now: at('2026-06-02T10:00:00Z') });
    const patched = await callOk<Skill>(
      patchSkill,
      { workspace_id: acme.id, skill_id: created.id, enabled: false, description: 'Members only', allowed_tools: [] },
      later,
    );
    expect(patched).toEqual({ ...created, enabled: false, description: 'Members only', allowed_tools: [], updated_at: '2026-06-02T10:00:00.000Z' });
    const cleared = await callOk<Skill>(patchSkill, { workspace_id: acme.id, skill_id: created.id, description: null, body: 'Until 1pm.' }, later);
    expect(cleared).toEqual({ ...patched, description: null, body: 'Until 1pm.' });
    const listed = await callOk<{ data: Skill[] }>(listSkills, { workspace_id: acme.id, limit: 100 }, later);
    expect(listed.data.find((s) => s.id === created.id)).toEqual(cleared);

    const deleted = await callOk<{ deleted: boolean; skill: Skill; removed_from_agent_ids: string[] }>(
      deleteSkill,
      { workspace_id: acme.id, skill_id: created.id },
      later,
    );
    expect(deleted).toEqual({ deleted: true, skill: cleared, removed_from_agent_ids: [] });
    expect(await callError(deleteSkill, { workspace_id: acme.id, skill_id: created.id }, later)).toMatch(/^not_found: Skill sk_/);
    expect(await callError(patchSkill, { workspace_id: acme.id, skill_id: created.id, enabled: true }, later)).toMatch(/^not_found:/);
  });

  it('removes a deleted skill from the agents that use it, in the same write', async () => {
    const [keep, drop] = [seeded[3]!.id, seeded[4]!.id];
    const agent = (name: string, skillIds: string[]) => ({
      id: newId('ag'),
      workspace_id: acme.id,
      name,
      description: null,
      instructions: 'x',
      guardrails: '[]',
      skill_ids: JSON.stringify(skillIds),
      operation_mode: 'off' as const,
      channels: '[]',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    });
    const uses = agent('Uses both', [drop, keep]);
    const unrelated = agent('Uses one', [keep]);
    await t.store.db.insertInto('agents').values([uses, unrelated]).execute();
    const ctx = testContext(t.store, credentialFor([acme]), { now: at('2026-06-03T00:00:00Z') });
    const result = await callOk<{ removed_from_agent_ids: string[] }>(deleteSkill, { workspace_id: acme.id, skill_id: drop }, ctx);
    expect(result.removed_from_agent_ids).toEqual([uses.id]);
    const rows = await t.store.db.selectFrom('agents').select(['id', 'skill_ids', 'updated_at']).where('id', 'in', [uses.id, unrelated.id]).orderBy('seq').execute();
    expect(rows).toEqual([
      { id: uses.id, skill_ids: JSON.stringify([keep]), updated_at: '2026-06-03T00:00:00.000Z' },
      { id: unrelated.id, skill_ids: JSON.stringify([keep]), updated_at: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('is not_found for another workspace\'s skill', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    const foreign = await t.store.db.selectFrom('skills').select('id').where('workspace_id', '=', other.id).executeTakeFirstOrThrow();
    expect(await callError(patchSkill, { workspace_id: acme.id, skill_id: foreign.id, enabled: true }, ctx)).toMatch(/^not_found:/);
    expect(await callError(deleteSkill, { workspace_id: acme.id, skill_id: foreign.id }, ctx)).toMatch(/^not_found:/);
    expect(await callError(deleteSkill, { workspace_id: acme.id, skill_id: newId('sk') }, ctx)).toMatch(/^not_found:/);
  });

  it('refuses allowed_tools that are not tools of this server, naming them, and writes nothing', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const before = await count('skills');
    const error = await callError(
      createSkill,
      { workspace_id: acme.id, name: 'Helpdesk', body: 'x', allowed_tools: ['list_tickets', 'list_helpdesk_tickets', 'make_coffee'] },
      ctx,
    );
    expect(error).toMatch(/^invalid_argument: allowed_tools: /);
    expect(error).toContain('"list_helpdesk_tickets" (use "list_tickets")');
    expect(error).toContain('"make_coffee"');
    expect(error).not.toContain('"list_tickets",');
    expect(await count('skills')).toBe(before);
    const target = seeded[5]!;
    expect(await callError(patchSkill, { workspace_id: acme.id, skill_id: target.id, body: 'new', allowed_tools: ['nope'] }, ctx)).toMatch(
      /^invalid_argument: allowed_tools: "nope" is not a tool/,
    );
    const row = await t.store.db.selectFrom('skills').selectAll().where('id', '=', target.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ body: target.body, updated_at: target.updated_at });
  });

  it('checks allowed_tools against the registry serving the call: a subset refuses the tools it does not serve', async () => {
    const subset = createRegistry([...skillTools, ...reservationTools]);
    const ctx = testContext(t.store, credentialFor([acme]), { servedTools: subset.served });
    const error = await callError(
      createSkill,
      { workspace_id: acme.id, name: 'Subset', body: 'x', allowed_tools: ['list_reservations', 'list_contacts', 'list_helpdesk_tickets'] },
      ctx,
    );
    expect(error).toMatch(/^invalid_argument: allowed_tools: "list_contacts", "list_helpdesk_tickets" are not tools of this server/);
    // The alias's tool is not served either, so there is nothing to point to.
    expect(error).not.toContain('(use "list_tickets")');
    const created = await callOk<Skill>(
      createSkill,
      { workspace_id: acme.id, name: 'Subset', body: 'x', allowed_tools: ['list_reservations', 'get_reservation'] },
      ctx,
    );
    expect(created.allowed_tools).toEqual(['list_reservations', 'get_reservation']);
  });

  it('keeps skill names unique per workspace, ignoring case', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const before = await count('skills');
    expect(await callError(createSkill, { workspace_id: acme.id, name: 'SEEDED 6', body: 'x' }, ctx)).toMatch(
      new RegExp(`^conflict: name: skill ${seeded[6]!.id} is already named "Seeded 6"`),
    );
    expect(await count('skills')).toBe(before);
    expect(await callError(patchSkill, { workspace_id: acme.id, skill_id: seeded[7]!.id, name: 'seeded 6' }, ctx)).toMatch(/^conflict:/);
    expect(await callOk(patchSkill, { workspace_id: acme.id, skill_id: seeded[7]!.id, name: 'seeded 7' }, ctx)).toMatchObject({ name: 'seeded 7' });
  });

  it('names the invalid argument and rejects an empty patch', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const id = seeded[8]!.id;
    expect(await callError(createSkill, { workspace_id: acme.id, name: 'No body' }, ctx)).toMatch(/^invalid_argument: body:/);
    expect(await callError(createSkill, { workspace_id: acme.id, name: 'Huge', body: 'x'.repeat(SKILL_BODY_MAX_CHARS + 1) }, ctx)).toMatch(/^invalid_argument: body:/);
    expect(await callError(createSkill, { workspace_id: acme.id, name: 'T', body: 'x', tags: [''] }, ctx)).toMatch(/^invalid_argument: tags\.0:/);
    expect(await callError(createSkill, { workspace_id: acme.id, name: 'T', body: 'x', enabled: 'yes' }, ctx)).toMatch(/^invalid_argument: enabled:/);
    expect(await callError(patchSkill, { workspace_id: acme.id, skill_id: id, body: null }, ctx)).toMatch(/^invalid_argument: body:/);
    expect(await callError(patchSkill, { workspace_id: acme.id, skill_id: id }, ctx)).toMatch(/^invalid_argument: Nothing to change/);
    expect(await callError(patchSkill, { workspace_id: acme.id, skill_id: 'ag_1', enabled: true }, ctx)).toMatch(/^invalid_argument: skill_id:/);
  });

  it('needs a read_write credential', async () => {
    expect(await preflightOutcome(t.store, credentialFor([acme], 'read_only'), deleteSkill)).toBe('insufficient_scope');
  });
});
