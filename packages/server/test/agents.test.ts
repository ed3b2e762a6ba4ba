import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId } from '../src/ids.js';
import { createAgent, deleteAgent, getAgent, listAgents, patchAgent } from '../src/tools/agents.js';
import { collectPages } from './collect-pages.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, preflightOutcome, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const lookupSkill = newId('sk');
const refundSkill = newId('sk');
const foreignSkill = newId('sk');

interface Agent {
  id: string;
  name: string;
  description: string | null;
  instructions: string;
  guardrails: string[];
  skill_ids: string[];
  operation_mode: string;
  channels: string[];
  created_at: string;
  updated_at: string;
}

function skill(id: string, workspaceId: string, name: string) {
  return {
    id,
    workspace_id: workspaceId,
    name,
    description: null,
    body: `Do ${name}.`,
    allowed_tools: '[]',
    tags: '[]',
    enabled: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  };
}

// Seeded agents share creation times in pairs, so paging relies on the seq tie-breaker.
function agent(workspaceId: string, i: number) {
  const ts = new Date(Date.UTC(2026, 0, 1 + Math.floor(i / 2))).toISOString();
  return {
    id: newId('ag'),
    workspace_id: workspaceId,
    name: `Seeded ${i}`,
    description: null,
    instructions: 'Be helpful.',
    guardrails: '[]',
    skill_ids: '[]',
    operation_mode: 'off' as const,
    channels: '[]',
    created_at: ts,
    updated_at: ts,
  };
}

const seeded = Array.from({ length: 13 }, (_, i) => agent('', i));
const at = (iso: string) => () => new Date(iso);
const agentCount = async () =>
  Number((await t.store.db.selectFrom('agents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels');
  other = await createWorkspace(t.store, 'other');
  await t.store.db
    .insertInto('skills')
    .values([skill(lookupSkill, acme.id, 'Lookup'), skill(refundSkill, acme.id, 'Refunds'), skill(foreignSkill, other.id, 'Foreign')])
    .execute();
  await t.store.db.insertInto('agents').values(seeded.map((row) => ({ ...row, workspace_id: acme.id }))).execute();
  await t.store.db.insertInto('agents').values([agent(other.id, 0)]).execute();
});
afterAll(() => t.cleanup());

describe('list_agents and get_agent', () => {
  it('visits every agent exactly once, oldest first, as summaries', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const { items, pages } = await collectPages<Agent>(listAgents, { workspace_id: 'acme-hotels' }, ctx, 4);
    expect(pages).toBe(4);
    expect(items.map((a) => a.id)).toEqual(seeded.map((a) => a.id));
    expect(items[0]).not.toHaveProperty('instructions');
    expect(items[0]).toMatchObject({ name: 'Seeded 0', operation_mode: 'off', channels: [], skill_ids: [] });
  });

  it('is not_found for an unknown agent or another workspace\'s, forbidden for an ungranted workspace', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    expect(await callError(getAgent, { workspace_id: acme.id, agent_id: newId('ag') }, ctx)).toMatch(/^not_found: Agent ag_/);
    const foreign = await t.store.db.selectFrom('agents').select('id').where('workspace_id', '=', other.id).executeTakeFirstOrThrow();
    expect(await callError(getAgent, { workspace_id: acme.id, agent_id: foreign.id }, ctx)).toMatch(/^not_found:/);
    expect(await callError(getAgent, { workspace_id: other.id, agent_id: foreign.id }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(listAgents, { workspace_id: 'other' }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(createAgent, { workspace_id: 'other', name: 'X', instructions: 'Y' }, ctx)).toMatch(/^forbidden:/);
    expect(await callError(deleteAgent, { workspace_id: other.id, agent_id: foreign.id }, ctx)).toMatch(/^forbidden:/);
  });
});

describe('agent writes', () => {
  it('creates, patches and deletes an agent', async () => {
    const created = await callOk<Agent>(
      createAgent,
      {
        workspace_id: 'acme-hotels',
        name: '  Aria  ',
        instructions: 'You are Aria, the front desk assistant.',
        guardrails: ['Never promise refunds.'],
        skill_ids: [lookupSkill, refundSkill, lookupSkill],
        channels: ['webchat', 'sms', 'webchat'],
      },
      testContext(t.store, credentialFor([acme]), { now: at('2026-06-01T10:00:00Z') }),
    );
    expect(created).toEqual({
      id: expect.stringMatching(/^ag_[0-9a-z]+$/),
      name: 'Aria',
      description: null,
      instructions: 'You are Aria, the front desk assistant.',
      guardrails: ['Never promise refunds.'],
      skill_ids: [lookupSkill, refundSkill],
      operation_mode: 'off', // a new agent stays off until someone turns it on
      channels: ['webchat', 'sms'],
      created_at: '2026-06-01T10:00:00.000Z',
      updated_at: '2026-06-01T10:00:00.000Z',
    });
    const read = testContext(t.store, credentialFor([acme]));
    expect(await callOk(getAgent, { workspace_id: acme.id, agent_id: created.id }, read)).toEqual(created);

    const later = testContext(t.store, credentialFor([acme]), { now: at('2026-06-02T10:00:00Z') });
    const patched = await callOk<Agent>(
      patchAgent,
      { workspace_id: acme.id, agent_id: created.id, operation_mode: 'copilot', description: 'Front desk', skill_ids: [refundSkill] },
      later,
    );
    expect(patched).toEqual({
      ...created,
      operation_mode: 'copilot',
      description: 'Front desk',
      skill_ids: [refundSkill],
      updated_at: '2026-06-02T10:00:00.000Z',
    });
    const cleared = await callOk<Agent>(patchAgent, { workspace_id: acme.id, agent_id: created.id, description: null, channels: [] }, later);
    expect(cleared).toMatchObject({ description: null, channels: [], operation_mode: 'copilot', name: 'Aria', guardrails: ['Never promise refunds.'] });
    expect(await callOk(getAgent, { workspace_id: acme.id, agent_id: created.id }, read)).toEqual(cleared);

    const deleted = await callOk<{ deleted: boolean; agent: Agent }>(deleteAgent, { workspace_id: acme.id, agent_id: created.id }, later);
    expect(deleted).toEqual({ deleted: true, agent: cleared });
    expect(await callError(getAgent, { workspace_id: acme.id, agent_id: created.id }, read)).toMatch(/^not_found:/);
    expect(await callError(deleteAgent, { workspace_id: acme.id, agent_id: created.id }, later)).toMatch(/^not_found:/);
    expect(await callError(patchAgent, { workspace_id: acme.id, agent_id: created.id, name: 'Z' }, later)).toMatch(/^not_found:/);
    // Deleting an agent leaves its skills alone.
    expect(await t.store.db.selectFrom('skills').select('id').where('id', '=', refundSkill).executeTakeFirst()).toBeDefined();
  });

  it('refuses skill ids that are not skills of this workspace, naming them, and writes nothing', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const before = await agentCount();
    const missing = newId('sk');
    const error = await callError(
      createAgent,
      { workspace_id: acme.id, name: 'Bad skills', instructions: 'x', skill_ids: [lookupSkill, missing, foreignSkill] },
      ctx,
    );
    expect(error).toMatch(/^invalid_argument: skill_ids: /);
    expect(error).toContain(missing);
    expect(error).toContain(foreignSkill);
    expect(error).not.toContain(lookupSkill);
    expect(await agentCount()).toBe(before);

    const target = seeded[0]!;
    const patchError = await callError(patchAgent, { workspace_id: acme.id, agent_id: target.id, name: 'Renamed', skill_ids: [missing] }, ctx);
    expect(patchError).toMatch(/^invalid_argument: skill_ids: .*is not a skill of this workspace/);
    const row = await t.store.db.selectFrom('agents').selectAll().where('id', '=', target.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: target.name, skill_ids: '[]', updated_at: target.updated_at });
  });

  it('keeps agent names unique per workspace, ignoring case', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    const before = await agentCount();
    expect(await callError(createAgent, { workspace_id: acme.id, name: 'seeded 3', instructions: 'x' }, ctx)).toMatch(
      new RegExp(`^conflict: name: agent ${seeded[3]!.id} is already named "Seeded 3"`),
    );
    expect(await agentCount()).toBe(before);
    expect(await callError(patchAgent, { workspace_id: acme.id, agent_id: seeded[1]!.id, name: 'SEEDED 2' }, ctx)).toMatch(/^conflict:/);
    // Renaming an agent to its own name (another case) is fine, and so is the same name elsewhere.
    expect(await callOk(patchAgent, { workspace_id: acme.id, agent_id: seeded[1]!.id, name: 'SEEDED 1' }, ctx)).toMatchObject({ name: 'SEEDED 1' });
    const elsewhere = await callOk<Agent>(createAgent, { workspace_id: other.id, name: 'Seeded 3', instructions: 'x' }, ctx);
    expect(elsewhere.name).toBe('Seeded 3');
  });

  it('names the invalid argument and rejects an empty patch', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const id = seeded[2]!.id;
    expect(await callError(createAgent, { workspace_id: acme.id, instructions: 'x' }, ctx)).toMatch(/^invalid_argument: name:/);
    expect(await callError(createAgent, { workspace_id: acme.id, name: ' ', instructions: 'x' }, ctx)).toMatch(/^invalid_argument: name:/);
    expect(await callError(createAgent, { workspace_id: acme.id, name: 'A', instructions: 'x', operation_mode: 'on' }, ctx)).toMatch(/^invalid_argument: operation_mode:/);
    expect(await callError(createAgent, { workspace_id: acme.id, name: 'A', instructions: 'x', channels: ['fax'] }, ctx)).toMatch(/^invalid_argument: channels\.0:/);
    expect(await callError(createAgent, { workspace_id: acme.id, name: 'A', instructions: 'x', skill_ids: ['ag_1'] }, ctx)).toMatch(/^invalid_argument: skill_ids\.0:/);
    expect(await callError(patchAgent, { workspace_id: acme.id, agent_id: id, name: null }, ctx)).toMatch(/^invalid_argument: name:/);
    expect(await callError(patchAgent, { workspace_id: acme.id, agent_id: id, instructions: '' }, ctx)).toMatch(/^invalid_argument: instructions:/);
    expect(await callError(patchAgent, { workspace_id: acme.id, agent_id: id }, ctx)).toMatch(/^invalid_argument: Nothing to change/);
    expect(await callError(patchAgent, { workspace_id: acme.id, agent_id: 'sk_1', name: 'B' }, ctx)).toMatch(/^invalid_argument: agent_id:/);
  });

  it('needs a read_write credential and replays a retried create with the same idempotency key', async () => {
    expect(await preflightOutcome(t.store, credentialFor([acme], 'read_only'), createAgent)).toBe('insufficient_scope');
    const ctx = testContext(t.store, credentialFor([acme]));
    const before = await agentCount();
    const args = { workspace_id: acme.id, name: 'Night audit', instructions: 'Take messages.', idempotency_key: 'key-1' };
    const first = await callOk<Agent>(createAgent, args, ctx);
    const second = await callOk<Agent>(createAgent, args, ctx);
    expect(second.id).toBe(first.id);
    expect(await agentCount()).toBe(before + 1);
  });
});
