import type { Channel } from '../store/schema.js';
import { chunkBody, childPath } from '../knowledge/chunking.js';
import { DAY } from './clock.js';
import { rngFor, type AgentRef, type Person, type SeedRun, type WorkspaceSeed } from './context.js';
import type { AttributeSpec, KnowledgeSpec, WorkspaceProfile } from './profile.js';
import { streamRng } from './random.js';

export interface AttributeRef {
  id: string;
  spec: AttributeSpec;
}

/**
 * Creates a workspace and everything the bulk generators refer to: staff users and
 * memberships, senders, custom attribute definitions, skills, agents and the knowledge tree.
 */
export async function setUpWorkspace(
  run: SeedRun,
  profile: WorkspaceProfile,
  owner: { id: string },
): Promise<{ ws: WorkspaceSeed; attributes: AttributeRef[] }> {
  const base = streamRng(run.seed, `${profile.slug}/workspace`);
  const id = base.id('wp');
  const createdAt = run.clock.ago((profile.historyDays + 30) * DAY);
  await run.out.add('workspaces', { id, slug: profile.slug, name: profile.name, created_at: createdAt });
  await run.out.flush('workspaces');

  const staff: Person[] = [];
  for (const [i, spec] of profile.staff.entries()) {
    const person = { key: spec.key, id: streamRng(run.seed, `${profile.slug}/staff`, i).id('us'), name: spec.name, first: spec.name.split(' ')[0] ?? spec.name };
    staff.push(person);
    // Team members exist to be assignees and authors; only the demo user can sign in.
    await run.out.add('users', { id: person.id, email: spec.email, name: spec.name, password_hash: null, created_at: createdAt });
    await run.out.add('memberships', { user_id: person.id, workspace_id: id, role: spec.role });
  }
  await run.out.add('memberships', { user_id: owner.id, workspace_id: id, role: 'owner' });

  const senders = new Map<Channel, { id: string; address: string }>();
  for (const spec of profile.senders) {
    const senderId = base.id('sd');
    await run.out.add('senders', { id: senderId, workspace_id: id, ...spec, is_default: spec.is_default ? 1 : 0, created_at: createdAt });
    if (spec.is_default) senders.set(spec.channel, { id: senderId, address: spec.address });
  }

  const attributes: AttributeRef[] = [];
  for (const spec of profile.attributes) {
    const attributeId = base.id('ca');
    attributes.push({ id: attributeId, spec });
    await run.out.add('custom_attributes', {
      id: attributeId,
      workspace_id: id,
      key: spec.key,
      label: spec.label,
      type: spec.type,
      options: spec.options ? JSON.stringify(spec.options) : null,
      created_at: createdAt,
    });
  }

  const ws: WorkspaceSeed = {
    run,
    profile,
    id,
    space: { seed: run.seed, slug: profile.slug, clock: run.clock, countries: profile.countries, historyDays: profile.historyDays },
    contactCount: profile.base.contacts * run.scale,
    staff,
    agents: [],
    senders,
  };
  return { ws: { ...ws, agents: await seedAgents(ws) }, attributes };
}

async function seedAgents(ws: WorkspaceSeed): Promise<AgentRef[]> {
  const { profile, run } = ws;
  const skillIds = new Map<string, string>();
  for (const [i, spec] of profile.skills.entries()) {
    const rng = rngFor(ws, 'skill', i);
    const id = rng.id('sk');
    skillIds.set(spec.key, id);
    const created = run.clock.ago(rng.int(60, 200) * DAY);
    await run.out.add('skills', {
      id,
      workspace_id: ws.id,
      name: spec.name,
      description: spec.description,
      body: spec.body,
      allowed_tools: JSON.stringify(spec.allowed_tools),
      tags: JSON.stringify(spec.tags),
      enabled: spec.enabled ? 1 : 0,
      created_at: created,
      updated_at: run.clock.ago(rng.int(1, 59) * DAY),
    });
  }
  const agents: AgentRef[] = [];
  for (const [i, spec] of profile.agents.entries()) {
    const rng = rngFor(ws, 'agent', i);
    const id = rng.id('ag');
    agents.push({ id, name: spec.name, channels: spec.channels });
    const skills = spec.skills.map((key) => {
      const skillId = skillIds.get(key);
      if (!skillId) throw new Error(`demo agent ${spec.name} refers to unknown skill "${key}"`);
      return skillId;
    });
    await run.out.add('agents', {
      id,
      workspace_id: ws.id,
      name: spec.name,
      description: spec.description,
      instructions: spec.instructions,
      guardrails: JSON.stringify(spec.guardrails),
      skill_ids: JSON.stringify(skills),
      operation_mode: spec.operation_mode,
      channels: JSON.stringify(spec.channels),
      created_at: run.clock.ago(rng.int(60, 200) * DAY),
      updated_at: run.clock.ago(rng.int(1, 59) * DAY),
    });
  }
  return agents;
}

/** The knowledge tree, parents before children, with each article's search chunks. */
export async function seedKnowledge(ws: WorkspaceSeed): Promise<void> {
  let index = 0;
  const visit = async (spec: KnowledgeSpec, parent: { id: string; path: string } | null): Promise<void> => {
    const rng = rngFor(ws, 'knowledge', index++);
    const id = rng.id('kn');
    const path = childPath(parent?.path ?? null, spec.title);
    const body = spec.children ? '' : (spec.body ?? '');
    await ws.run.out.add('knowledge_nodes', {
      id,
      workspace_id: ws.id,
      parent_id: parent?.id ?? null,
      kind: spec.children ? 'folder' : 'article',
      title: spec.title,
      path,
      body,
      created_at: ws.run.clock.ago(spec.createdDaysAgo * DAY),
      updated_at: ws.run.clock.ago(spec.updatedDaysAgo * DAY),
    });
    for (const [position, text] of chunkBody(body).entries()) {
      await ws.run.out.add('knowledge_chunks', { id: rng.id('kc'), workspace_id: ws.id, node_id: id, position, text });
    }
    for (const child of spec.children ?? []) await visit(child, { id, path });
  };
  for (const root of ws.profile.knowledge) await visit(root, null);
}
