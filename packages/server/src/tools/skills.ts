import type { Selectable, Updateable } from 'kysely';
import { z } from 'zod';
import { invalidArgument } from '../core/errors.js';
import { findInWorkspace } from '../core/find-in-workspace.js';
import { newId } from '../ids.js';
import type { SkillsTable } from '../store/schema.js';
import { defineWorkspaceTool, type ServedTools } from './define.js';
import { defineListTool } from './list-tool.js';
import { flag, idempotencyKeySchema, idSchema, jsonArray, singleLine, timestampOut } from './schemas.js';
import { assertNameFree, requireChange, unique } from './unique-name.js';

/**
 * list_skills is the only tool that reads a skill (the catalog has no get_skill), so it returns
 * bodies whole: a truncated body could never be read, nor safely patched. Pages stay bounded
 * because writes cap a body at this length; longer reference material belongs in knowledge.
 */
export const SKILL_BODY_MAX_CHARS = 20_000;

const skillOut = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  body: z.string().describe('The skill\'s instructions, complete.'),
  allowed_tools: z.array(z.string()).describe('Tools an agent may call while using this skill.'),
  tags: z.array(z.string()),
  enabled: z.boolean().describe('Disabled skills stay attached to agents but are not used.'),
  created_at: timestampOut,
  updated_at: timestampOut,
});

type SkillRow = Selectable<SkillsTable>;

function toSkill(row: SkillRow): z.input<typeof skillOut> {
  return { ...row, allowed_tools: jsonArray(row.allowed_tools), tags: jsonArray(row.tags), enabled: flag(row.enabled) };
}

// Field schemas shared by create_skill and patch_skill.
const nameSchema = singleLine(z.string().trim().min(1).max(100)).describe('Skill name, unique in the workspace (ignoring case).');
const bodySchema = z
  .string()
  .trim()
  .min(1)
  .max(SKILL_BODY_MAX_CHARS)
  .describe(`What an agent should do with this skill, in plain language or markdown (up to ${SKILL_BODY_MAX_CHARS.toLocaleString('en-US')} characters).`);
const descriptionSchema = singleLine(z.string().trim().min(1).max(500));
const allowedToolsSchema = z
  .array(z.string().min(1).max(100))
  .max(100)
  .describe('Names of the tools (as tools/list shows them, e.g. "list_reservations") an agent may call while using this skill. Replaces the whole list.');
const tagsSchema = z.array(singleLine(z.string().trim().min(1).max(50))).max(20).describe('Free-form labels. Replaces the whole list.');

/**
 * allowed_tools must name tools this server serves (a registry may serve a subset of the
 * catalog): a misspelt or unserved name would silently grant nothing. An alias is refused too,
 * naming the tool it stands for, so a skill lists each tool under the one name tools/list shows.
 */
function checkToolNames(served: ServedTools, names: string[]): void {
  const unknown = names.filter((name) => !served.names.has(name));
  if (unknown.length > 0) {
    const described = unknown.map((name) => {
      const target = served.aliases.get(name);
      return target ? `"${name}" (use "${target}")` : `"${name}"`;
    });
    throw invalidArgument(
      `allowed_tools: ${described.join(', ')} ${unknown.length === 1 ? 'is not a tool' : 'are not tools'} of this server; use names from tools/list.`,
      { field: 'allowed_tools', unknown_tools: unknown },
    );
  }
}

export const listSkills = defineListTool({
  name: 'list_skills',
  title: 'List skills',
  description:
    'List the skills of a workspace (reusable instructions that agents use, each with the tools it may call), oldest first, complete with body. Bodies can be long (up to 20,000 characters): use a small limit when you only need names and ids. Attach skills to an agent with patch_agent skill_ids.',
  filters: {},
  item: skillOut,
  rows: (_args, ctx, workspace) => ctx.db.selectFrom('skills').selectAll().where('workspace_id', '=', workspace.id),
  order: { column: 'created_at', direction: 'asc' },
  toItem: toSkill,
});

export const createSkill = defineWorkspaceTool({
  name: 'create_skill',
  title: 'Create skill',
  description:
    'Create a skill: a name (unique in the workspace, ignoring case; a clash is a conflict), a body of instructions, optionally a description, the tools it may call (allowed_tools, names from tools/list), tags, and enabled (default true). A new skill does nothing until an agent lists it in skill_ids (patch_agent). Returns the new skill.',
  kind: 'create',
  input: {
    name: nameSchema,
    body: bodySchema,
    description: descriptionSchema.optional().describe('One line saying when the skill applies.'),
    allowed_tools: allowedToolsSchema.default([]),
    tags: tagsSchema.default([]),
    enabled: z.boolean().default(true).describe('Whether agents use the skill (default true).'),
    idempotency_key: idempotencyKeySchema,
  },
  output: skillOut,
  async handler(args, ctx, workspace) {
    const allowedTools = unique(args.allowed_tools);
    checkToolNames(ctx.servedTools, allowedTools);
    await assertNameFree(ctx.db, 'skills', workspace.id, args.name);
    const now = ctx.now().toISOString();
    const id = newId('sk');
    await ctx.db
      .insertInto('skills')
      .values({
        id,
        workspace_id: workspace.id,
        name: args.name,
        description: args.description ?? null,
        body: args.body,
        allowed_tools: JSON.stringify(allowedTools),
        tags: JSON.stringify(unique(args.tags)),
        enabled: args.enabled ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return toSkill(await findInWorkspace(ctx.db, 'skills', workspace.id, id));
  },
});

const patchableFields = ['name', 'body', 'description', 'allowed_tools', 'tags', 'enabled'] as const;

export const patchSkill = defineWorkspaceTool({
  name: 'patch_skill',
  title: 'Patch skill',
  description:
    'Change a skill: only the fields you pass change; description: null clears it. allowed_tools and tags replace the whole list (pass the full new list). enabled: false stops agents using the skill without detaching it. Returns the updated skill.',
  kind: 'update',
  input: {
    skill_id: idSchema('sk', 'Skill'),
    name: nameSchema.optional(),
    body: bodySchema.optional(),
    description: descriptionSchema.nullable().optional().describe('One line saying when the skill applies; null clears it.'),
    allowed_tools: allowedToolsSchema.optional(),
    tags: tagsSchema.optional(),
    enabled: z.boolean().optional().describe('Whether agents use the skill.'),
    idempotency_key: idempotencyKeySchema,
  },
  output: skillOut,
  async handler(args, ctx, workspace) {
    requireChange(args, patchableFields);
    const row = await findInWorkspace(ctx.db, 'skills', workspace.id, args.skill_id);
    const changes: Updateable<SkillsTable> = { updated_at: ctx.now().toISOString() };
    if (args.name !== undefined) {
      await assertNameFree(ctx.db, 'skills', workspace.id, args.name, row.id);
      changes.name = args.name;
    }
    if (args.allowed_tools !== undefined) {
      const allowedTools = unique(args.allowed_tools);
      checkToolNames(ctx.servedTools, allowedTools);
      changes.allowed_tools = JSON.stringify(allowedTools);
    }
    if (args.body !== undefined) changes.body = args.body;
    if (args.description !== undefined) changes.description = args.description;
    if (args.tags !== undefined) changes.tags = JSON.stringify(unique(args.tags));
    if (args.enabled !== undefined) changes.enabled = args.enabled ? 1 : 0;
    await ctx.db.updateTable('skills').set(changes).where('id', '=', row.id).execute();
    return toSkill(await findInWorkspace(ctx.db, 'skills', workspace.id, row.id));
  },
});

export const deleteSkill = defineWorkspaceTool({
  name: 'delete_skill',
  title: 'Delete skill',
  description:
    'Delete a skill permanently. Agents that use it lose it in the same step (it is removed from their skill_ids; removed_from_agent_ids lists them), so no agent is left pointing at a missing skill. To only pause it, patch_skill with enabled: false instead. Returns the deleted skill as it was; deleting it again is not_found.',
  kind: 'delete',
  input: { skill_id: idSchema('sk', 'Skill'), idempotency_key: idempotencyKeySchema },
  output: z.object({
    deleted: z.literal(true),
    skill: skillOut,
    removed_from_agent_ids: z.array(z.string()).describe('Agents whose skill_ids listed this skill; they were updated.'),
  }),
  async handler(args, ctx, workspace) {
    const row = await findInWorkspace(ctx.db, 'skills', workspace.id, args.skill_id);
    const now = ctx.now().toISOString();
    // Filtered here, not with LIKE on the JSON text: "_" in ids is a LIKE wildcard.
    const agents = await ctx.db
      .selectFrom('agents')
      .select(['id', 'skill_ids'])
      .where('workspace_id', '=', workspace.id)
      .orderBy('seq')
      .execute();
    const removedFrom: string[] = [];
    for (const agent of agents) {
      const skillIds = jsonArray(agent.skill_ids);
      if (!skillIds.includes(row.id)) continue;
      await ctx.db
        .updateTable('agents')
        .set({ skill_ids: JSON.stringify(skillIds.filter((id) => id !== row.id)), updated_at: now })
        .where('id', '=', agent.id)
        .execute();
      removedFrom.push(agent.id);
    }
    await ctx.db.deleteFrom('skills').where('id', '=', row.id).execute();
    return { deleted: true as const, skill: toSkill(row), removed_from_agent_ids: removedFrom };
  },
});

export const skillTools = [listSkills, createSkill, patchSkill, deleteSkill];
