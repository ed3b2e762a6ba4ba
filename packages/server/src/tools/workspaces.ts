import { z } from 'zod';
import { noWorkspacesError } from '../core/workspace-access.js';
import { WORKSPACE_ROLES } from '../store/schema.js';
import { defineTool, defineWorkspaceTool } from './define.js';
import { channelSchema, flag } from './schemas.js';

const workspaceOut = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  role: z.enum([...WORKSPACE_ROLES, 'api_token']).describe('Your role in the workspace (viewer: read only); api_token for API tokens.'),
});

export const listWorkspaces = defineTool({
  name: 'list_workspaces',
  title: 'List workspaces',
  description:
    'List the workspaces this credential can use, with id, slug, name and your role. Call this first and pass one workspace id or slug as workspace_id to every other tool.',
  kind: 'read',
  input: z.object({}),
  output: z.object({ data: z.array(workspaceOut) }),
  async handler(_args, ctx) {
    const ids = [...ctx.credential.workspaceIds];
    if (ids.length === 0) {
      throw noWorkspacesError();
    }
    const rows = await ctx.db
      .selectFrom('workspaces')
      .leftJoin('memberships', (join) =>
        join
          .onRef('memberships.workspace_id', '=', 'workspaces.id')
          .on('memberships.user_id', '=', ctx.credential.userId ?? ''),
      )
      .select(['workspaces.id', 'workspaces.slug', 'workspaces.name', 'memberships.role'])
      .where('workspaces.id', 'in', ids)
      .orderBy('workspaces.slug')
      .execute();
    return {
      data: rows.map((row) => ({ id: row.id, slug: row.slug, name: row.name, role: row.role ?? ('api_token' as const) })),
    };
  },
});

const senderOut = z.object({
  id: z.string(),
  channel: channelSchema,
  address: z.string(),
  display_name: z.string(),
  default: z.boolean().describe('The sender used for this channel when a send names none.'),
});

export const listWorkspaceSenders = defineWorkspaceTool({
  name: 'list_workspace_senders',
  title: 'List workspace senders',
  description:
    'List the sender identities (phone numbers, email addresses, WhatsApp numbers…) a workspace can send from, optionally for one channel. Pass an id as sender_id to a send tool to choose one.',
  kind: 'read',
  input: {
    channel: channelSchema.optional().describe('Only senders for this channel.'),
  },
  output: z.object({ data: z.array(senderOut) }),
  async handler(args, ctx, workspace) {
    let query = ctx.db
      .selectFrom('senders')
      .selectAll()
      .where('workspace_id', '=', workspace.id)
      .orderBy('channel')
      .orderBy('is_default', 'desc')
      .orderBy('id');
    if (args.channel) query = query.where('channel', '=', args.channel);
    const rows = await query.execute();
    return {
      data: rows.map((row) => ({
        id: row.id,
        channel: row.channel,
        address: row.address,
        display_name: row.display_name,
        default: flag(row.is_default),
      })),
    };
  },
});

export const workspaceTools = [listWorkspaces, listWorkspaceSenders];
