import type { Selectable, Updateable } from 'kysely';
import { z } from 'zod';
import { invalidArgument } from '../core/errors.js';
import { findInWorkspace } from '../core/find-in-workspace.js';
import { newId } from '../ids.js';
import type { AgentsTable } from '../store/schema.js';
import { defineWorkspaceTool, type ToolContext } from './define.js';
import { defineGetTool } from './get-tool.js';
import { defineListTool } from './list-tool.js';
import { channelSchema, idempotencyKeySchema, idSchema, jsonArray, singleLine, timestampOut } from './schemas.js';
import { assertNameFree, requireChange, unique } from './unique-name.js';

const operationModeSchema = z.enum(['autopilot', 'copilot', 'off']);

const agentSummary = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  operation_mode: operationModeSchema.describe('autopilot: answers customers itself; copilot: drafts replies for a human to approve; off: inactive.'),
  channels: z.array(channelSchema),
  skill_ids: z.array(z.string()),
  created_at: timestampOut,
  updated_at: timestampOut,
});

const agentOut = agentSummary.extend({
  instructions: z.string(),
  guardrails: z.array(z.string()),
});

type AgentRow = Selectable<AgentsTable>;

function toAgentSummary(row: AgentRow): z.input<typeof agentSummary> {
  return { ...row, channels: jsonArray<z.infer<typeof channelSchema>>(row.channels), skill_ids: jsonArray(row.skill_ids) };
}

function toAgent(row: AgentRow): z.input<typeof agentOut> {
  return { ...toAgentSummary(row), instructions: row.instructions, guardrails: jsonArray(row.guardrails) };
}

// Field schemas shared by create_agent and patch_agent, so both accept exactly the same values.
const nameSchema = singleLine(z.string().trim().min(1).max(100)).describe('Display name, unique in the workspace (ignoring case).');
const instructionsSchema = z
  .string()
  .trim()
  .min(1)
  .max(20_000)
  .describe('The system instructions the agent follows (up to 20,000 characters).');
const descriptionSchema = singleLine(z.string().trim().min(1).max(500));
const guardrailsSchema = z
  .array(z.string().trim().min(1).max(500))
  .max(50)
  .describe('Rules the agent must never break, one sentence each, e.g. "Never promise refunds." Replaces the whole list.');
const skillIdsSchema = z
  .array(idSchema('sk', 'Skill'))
  .max(50)
  .describe('Skills the agent can use (sk_… from list_skills); each must exist in this workspace. Replaces the whole list.');
const channelsSchema = z
  .array(channelSchema)
  .max(5)
  .describe('Channels the agent answers on. Replaces the whole list.');

/** Refuses skill ids that are not skills of this workspace, naming every one of them. */
async function checkSkillIds(ctx: ToolContext, workspaceId: string, skillIds: string[]): Promise<void> {
  if (skillIds.length === 0) return;
  const found = await ctx.db
    .selectFrom('skills')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', skillIds)
    .execute();
  const known = new Set(found.map((row) => row.id));
  const missing = skillIds.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw invalidArgument(
      `skill_ids: ${missing.join(', ')} ${missing.length === 1 ? 'is not a skill' : 'are not skills'} of this workspace. Call list_skills for valid ids.`,
      { field: 'skill_ids', unknown_ids: missing },
    );
  }
}

export const listAgents = defineListTool({
  name: 'list_agents',
  title: 'List agents',
  description:
    'List the AI agents of a workspace, oldest first, as summaries: name, description, operation_mode (autopilot, copilot or off), channels and skill_ids. Use get_agent for an agent\'s instructions and guardrails.',
  filters: {},
  item: agentSummary,
  rows: (_args, ctx, workspace) => ctx.db.selectFrom('agents').selectAll().where('workspace_id', '=', workspace.id),
  order: { column: 'created_at', direction: 'asc' },
  toItem: toAgentSummary,
});

export const getAgent = defineGetTool({
  name: 'get_agent',
  title: 'Get agent',
  description:
    'Get one AI agent in full: name, description, instructions, guardrails, skill_ids, operation_mode (autopilot, copilot or off) and channels.',
  row: { table: 'agents', argument: 'agent_id', schema: idSchema('ag', 'Agent') },
  output: agentOut,
  toItem: toAgent,
});

export const createAgent = defineWorkspaceTool({
  name: 'create_agent',
  title: 'Create agent',
  description:
    'Create an AI agent with a name (unique in the workspace, ignoring case; a clash is a conflict) and instructions, optionally a description, guardrails, skills, channels and operation_mode. operation_mode defaults to off, so a new agent answers no customer until someone deliberately sets autopilot or copilot. Returns the new agent.',
  kind: 'create',
  input: {
    name: nameSchema,
    instructions: instructionsSchema,
    description: descriptionSchema.optional().describe('One line saying what the agent is for.'),
    guardrails: guardrailsSchema.default([]),
    skill_ids: skillIdsSchema.default([]),
    operation_mode: operationModeSchema
      .default('off')
      .describe('autopilot: answers customers itself; copilot: drafts replies for a human to approve; off (default): inactive.'),
    channels: channelsSchema.default([]),
    idempotency_key: idempotencyKeySchema,
  },
  output: agentOut,
  async handler(args, ctx, workspace) {
    const skillIds = unique(args.skill_ids);
    await checkSkillIds(ctx, workspace.id, skillIds);
    await assertNameFree(ctx.db, 'agents', workspace.id, args.name);
    const now = ctx.now().toISOString();
    const id = newId('ag');
    await ctx.db
      .insertInto('agents')
      .values({
        id,
        workspace_id: workspace.id,
        name: args.name,
        description: args.description ?? null,
        instructions: args.instructions,
        guardrails: JSON.stringify(args.guardrails),
        skill_ids: JSON.stringify(skillIds),
        operation_mode: args.operation_mode,
        channels: JSON.stringify(unique(args.channels)),
        created_at: now,
        updated_at: now,
      })
      .execute();
    return toAgent(await findInWorkspace(ctx.db, 'agents', workspace.id, id));
  },
});

const patchableFields = ['name', 'instructions', 'description', 'guardrails', 'skill_ids', 'operation_mode', 'channels'] as const;

export const patchAgent = defineWorkspaceTool({
  name: 'patch_agent',
  title: 'Patch agent',
  description:
    'Change an AI agent: only the fields you pass change; description: null clears it. guardrails, skill_ids and channels replace the whole list (pass the full new list, [] to empty it). Set operation_mode to autopilot, copilot or off to turn the agent on or off. Returns the updated agent.',
  kind: 'update',
  input: {
    agent_id: idSchema('ag', 'Agent'),
    name: nameSchema.optional(),
    instructions: instructionsSchema.optional(),
    description: descriptionSchema.nullable().optional().describe('One line saying what the agent is for; null clears it.'),
    guardrails: guardrailsSchema.optional(),
    skill_ids: skillIdsSchema.optional(),
    operation_mode: operationModeSchema.optional().describe('autopilot: answers customers itself; copilot: drafts replies for a human to approve; off: inactive.'),
    channels: channelsSchema.optional(),
    idempotency_key: idempotencyKeySchema,
  },
  output: agentOut,
  async handler(args, ctx, workspace) {
    requireChange(args, patchableFields);
    const row = await findInWorkspace(ctx.db, 'agents', workspace.id, args.agent_id);
    const changes: Updateable<AgentsTable> = { updated_at: ctx.now().toISOString() };
    if (args.name !== undefined) {
      await assertNameFree(ctx.db, 'agents', workspace.id, args.name, row.id);
      changes.name = args.name;
    }
    if (args.skill_ids !== undefined) {
      const skillIds = unique(args.skill_ids);
      await checkSkillIds(ctx, workspace.id, skillIds);
      changes.skill_ids = JSON.stringify(skillIds);
    }
    if (args.instructions !== undefined) changes.instructions = args.instructions;
    if (args.description !== undefined) changes.description = args.description;
    if (args.guardrails !== undefined) changes.guardrails = JSON.stringify(args.guardrails);
    if (args.operation_mode !== undefined) changes.operation_mode = args.operation_mode;
    if (args.channels !== undefined) changes.channels = JSON.stringify(unique(args.channels));
    await ctx.db.updateTable('agents').set(changes).where('id', '=', row.id).execute();
    return toAgent(await findInWorkspace(ctx.db, 'agents', workspace.id, row.id));
  },
});

export const deleteAgent = defineWorkspaceTool({
  name: 'delete_agent',
  title: 'Delete agent',
  description:
    'Delete an AI agent permanently. Its skills are not deleted (they may serve other agents). To only stop it answering, patch_agent with operation_mode off instead. Returns the deleted agent as it was; deleting it again is not_found.',
  kind: 'delete',
  input: { agent_id: idSchema('ag', 'Agent'), idempotency_key: idempotencyKeySchema },
  output: z.object({ deleted: z.literal(true), agent: agentOut }),
  async handler(args, ctx, workspace) {
    const row = await findInWorkspace(ctx.db, 'agents', workspace.id, args.agent_id);
    await ctx.db.deleteFrom('agents').where('id', '=', row.id).execute();
    return { deleted: true as const, agent: toAgent(row) };
  },
});

export const agentTools = [listAgents, getAgent, createAgent, patchAgent, deleteAgent];
