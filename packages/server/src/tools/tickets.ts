import { sql } from 'kysely';
import { z } from 'zod';
import { invalidArgument, notFound } from '../core/errors.js';
import { outboundAuthor } from '../messaging/delivery.js';
import { appendTicketMessage, type TicketMessageRow, type TicketRow } from '../messaging/ticket-reply.js';
import type { TicketStatus } from '../store/schema.js';
import { parseSearchQuery } from '../store/search.js';
import { defineTool, type ToolContext } from './define.js';
import { afterPosition, decodeCursor, pageSchema, paginationShape, toPage, type CursorScope } from './pagination.js';
import { channelSchema, flag, idempotencyKeySchema, idSchema, jsonArray, messageBodySchema, timeFilter, timestampOut, workspaceIdSchema } from './schemas.js';

const ticketStatusSchema = z.enum(['new', 'pending', 'resolved', 'closed']);
const waitingOnSchema = z.enum(['team', 'customer', 'third_party', 'none']);

/** `open` is not a stored status: it is shorthand for the statuses that still need work. */
const statusFilterSchema = z
  .enum(['open', 'new', 'pending', 'resolved', 'closed'])
  .optional()
  .describe('open = new + pending (not yet resolved); or one exact status.');

function statusesFor(filter: z.output<typeof statusFilterSchema>): TicketStatus[] | undefined {
  if (filter === undefined) return undefined;
  return filter === 'open' ? ['new', 'pending'] : [filter];
}

const ticketOut = z.object({
  id: z.string(),
  subject: z.string(),
  summary: z.string().nullable().describe('One-paragraph summary of the issue.'),
  status: ticketStatusSchema,
  waiting_on: waitingOnSchema.describe('Who has to act next.'),
  priority: z.enum(['low', 'normal', 'high', 'urgent']),
  tags: z.array(z.string()),
  contact_id: z.string().nullable(),
  contact_name: z.string().nullable().describe('"First Last" of the contact (the customer), if any.'),
  assignee: z.object({ id: z.string(), name: z.string() }).nullable().describe('The user the ticket is assigned to.'),
  external_ticket_id: z.string().nullable().describe('The ticket\'s id in an external helpdesk, if imported.'),
  source: z.string().nullable().describe('Where the ticket came from, e.g. email, phone, web_form.'),
  created_at: timestampOut,
  updated_at: timestampOut,
});

const ticketMessageOut = z.object({
  id: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  author: z.object({
    type: z.enum(['contact', 'user', 'agent', 'system']),
    id: z.string().nullable(),
    name: z.string().nullable(),
  }),
  body: z.string(),
  internal: z.boolean().describe('true: an internal note the customer never sees.'),
  status: z
    .enum(['queued', 'sent', 'delivered', 'failed'])
    .nullable()
    .describe('Delivery state of a public reply; null for customer messages and internal notes.'),
  created_at: timestampOut,
});

type TicketListRow = TicketRow & {
  contact_first_name: string | null;
  contact_last_name: string | null;
  assignee_name: string | null;
};

function toTicket(row: TicketListRow): z.input<typeof ticketOut> {
  return {
    id: row.id,
    subject: row.subject,
    summary: row.summary,
    status: row.status,
    waiting_on: row.waiting_on,
    priority: row.priority,
    tags: jsonArray(row.tags),
    contact_id: row.contact_id,
    contact_name: [row.contact_first_name, row.contact_last_name].filter(Boolean).join(' ') || null,
    assignee: row.assignee_id ? { id: row.assignee_id, name: row.assignee_name ?? row.assignee_id } : null,
    external_ticket_id: row.external_ticket_id,
    source: row.source,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toTicketMessage(row: TicketMessageRow): z.input<typeof ticketMessageOut> {
  return {
    id: row.id,
    direction: row.direction,
    author: { type: row.author_type, id: row.author_id, name: row.author_name },
    body: row.body,
    internal: flag(row.internal),
    status: row.status,
    created_at: row.created_at,
  };
}

/** Tickets of one workspace with their contact's and assignee's names, the base of every ticket read. */
function tickets(ctx: ToolContext, workspaceId: string) {
  return ctx.db
    .selectFrom('tickets as t')
    .leftJoin('contacts as ct', 'ct.id', 't.contact_id')
    .leftJoin('users as u', 'u.id', 't.assignee_id')
    .selectAll('t')
    .select(['ct.first_name as contact_first_name', 'ct.last_name as contact_last_name', 'u.name as assignee_name'])
    .where('t.workspace_id', '=', workspaceId);
}

async function loadTicket(ctx: ToolContext, workspaceId: string, ticketId: string): Promise<TicketRow> {
  const row = await ctx.db
    .selectFrom('tickets')
    .selectAll()
    .where('id', '=', ticketId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) throw notFound('Ticket', ticketId);
  return row;
}

const ticketIdSchema = idSchema('tk', 'Ticket');

export const listTickets = defineTool({
  name: 'list_tickets',
  title: 'List tickets',
  description:
    'List helpdesk tickets, most recently updated first, each with subject, one-line summary, status, waiting_on, priority, tags, the customer\'s name and the assignee. Filters combine: e.g. every open ticket touched in the last 24 hours is status "open" (= new + pending) with updated_after set to 24 hours ago. Use get_ticket for one ticket, list_ticket_messages for its thread, search_tickets to find tickets by content.',
  kind: 'read',
  input: z.object({
    workspace_id: workspaceIdSchema,
    status: statusFilterSchema,
    waiting_on: waitingOnSchema.optional().describe('Only tickets waiting on this party.'),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional().describe('Only tickets of this priority.'),
    assignee_id: idSchema('us', 'User').optional().describe('Only tickets assigned to this user (us_…).'),
    contact_id: idSchema('ct', 'Contact').optional().describe('Only this contact\'s tickets (ct_…).'),
    tag: z.string().trim().min(1).max(100).optional().describe('Only tickets with this tag (case-insensitive).'),
    updated_after: timeFilter('Only tickets updated at or after this time.'),
    updated_before: timeFilter('Only tickets updated before this time.'),
    ...paginationShape,
  }),
  output: pageSchema(ticketOut),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const scope: CursorScope = { tool: 'list_tickets', workspaceId: workspace.id, filters: args };
    let query = tickets(ctx, workspace.id);
    const statuses = statusesFor(args.status);
    if (statuses) query = query.where('t.status', 'in', statuses);
    if (args.waiting_on) query = query.where('t.waiting_on', '=', args.waiting_on);
    if (args.priority) query = query.where('t.priority', '=', args.priority);
    if (args.assignee_id) query = query.where('t.assignee_id', '=', args.assignee_id);
    if (args.contact_id) query = query.where('t.contact_id', '=', args.contact_id);
    if (args.tag) {
      const tag = args.tag.toLowerCase();
      query = query.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('ticket_tags as tt')
            .select('tt.tag')
            .whereRef('tt.ticket_id', '=', 't.id')
            .where(sql<string>`lower(tt.tag)`, '=', tag),
        ),
      );
    }
    if (args.updated_after) query = query.where('t.updated_at', '>=', args.updated_after);
    if (args.updated_before) query = query.where('t.updated_at', '<', args.updated_before);
    if (args.cursor) query = query.where(afterPosition('t.updated_at', 't.seq', 'desc', decodeCursor(ctx.cursorKey, scope, args.cursor)));
    const rows = await query.orderBy('t.updated_at', 'desc').orderBy('t.seq', 'desc').limit(args.limit + 1).execute();
    return toPage(rows, args.limit, toTicket, { key: ctx.cursorKey, scope, positionOf: (row) => [row.updated_at, row.seq] });
  },
});

export const getTicket = defineTool({
  name: 'get_ticket',
  title: 'Get ticket',
  description:
    'Get one helpdesk ticket: subject, summary, status, waiting_on, priority, tags, contact, assignee, external id and source. The conversation on the ticket comes from list_ticket_messages.',
  kind: 'read',
  input: z.object({ workspace_id: workspaceIdSchema, ticket_id: ticketIdSchema }),
  output: ticketOut,
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const row = await tickets(ctx, workspace.id).where('t.id', '=', args.ticket_id).executeTakeFirst();
    if (!row) throw notFound('Ticket', args.ticket_id);
    return toTicket(row);
  },
});

const MATCHES_PER_TICKET = 3;

const ticketHit = ticketOut.extend({
  matches: z
    .array(
      z.object({
        message_id: z.string().nullable().describe('The matching ticket message; null when the subject or summary matched.'),
        created_at: timestampOut,
        snippet: z.string().describe('Text around the match, matched words in **bold**.'),
      }),
    )
    .describe(`Up to ${MATCHES_PER_TICKET} matches: the subject/summary first, then messages, newest first.`),
});

export const searchTickets = defineTool({
  name: 'search_tickets',
  title: 'Search tickets',
  description:
    'Full-text search over ticket subjects, summaries and messages (internal notes included), best match first. All words must match; put "exact phrases" in double quotes. Filter by status (open = new + pending) and update time. Each hit is the ticket plus up to 3 snippets showing where it matched.',
  kind: 'read',
  input: z.object({
    workspace_id: workspaceIdSchema,
    query: z.string().trim().min(1).max(500).describe('Words to find, e.g. refund, or "late checkout" for the exact phrase.'),
    status: statusFilterSchema,
    updated_after: timeFilter('Only tickets updated at or after this time.'),
    updated_before: timeFilter('Only tickets updated before this time.'),
    ...paginationShape,
  }),
  output: pageSchema(ticketHit),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const query = parseSearchQuery(args.query);
    if (query.terms.length === 0) throw invalidArgument('query has no words to search for: use letters or digits.');
    const scope: CursorScope = { tool: 'search_tickets', workspaceId: workspace.id, filters: args };
    const after = args.cursor ? decodeCursor(ctx.cursorKey, scope, args.cursor) : undefined;
    const ranked = await ctx.search.tickets({
      workspaceId: workspace.id,
      query,
      status: statusesFor(args.status),
      updated: { after: args.updated_after, before: args.updated_before },
      limit: args.limit + 1,
      after: after ? { score: Number(after[0]), seq: Number(after[1]) } : undefined,
    });
    const ids = ranked.slice(0, args.limit).map((r) => r.id);
    const rows = ids.length ? await tickets(ctx, workspace.id).where('t.id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const hits = await ctx.search.ticketHits({ workspaceId: workspace.id, query, ticketIds: ids, perParent: MATCHES_PER_TICKET });
    return toPage(
      ranked,
      args.limit,
      (r) => ({
        ...toTicket(byId.get(r.id) as TicketListRow),
        matches: hits
          .filter((hit) => hit.parentId === r.id)
          .map((hit) => ({ message_id: hit.messageId, created_at: hit.createdAt, snippet: hit.snippet })),
      }),
      { key: ctx.cursorKey, scope, positionOf: (r) => [r.score, r.seq] },
    );
  },
});

export const listTicketMessages = defineTool({
  name: 'list_ticket_messages',
  title: 'List ticket messages',
  description:
    'Read a ticket\'s thread: customer messages, public replies and internal notes (internal: true, never shown to the customer). Newest first by default; pass order asc to read from the beginning.',
  kind: 'read',
  input: z.object({
    workspace_id: workspaceIdSchema,
    ticket_id: ticketIdSchema,
    order: z.enum(['asc', 'desc']).default('desc').describe('desc (default): newest first; asc: oldest first.'),
    ...paginationShape,
  }),
  output: pageSchema(ticketMessageOut),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    await loadTicket(ctx, workspace.id, args.ticket_id);
    const scope: CursorScope = { tool: 'list_ticket_messages', workspaceId: workspace.id, filters: args };
    let query = ctx.db.selectFrom('ticket_messages').selectAll().where('ticket_id', '=', args.ticket_id);
    if (args.cursor) query = query.where(afterPosition('created_at', 'seq', args.order, decodeCursor(ctx.cursorKey, scope, args.cursor)));
    const rows = await query.orderBy('created_at', args.order).orderBy('seq', args.order).limit(args.limit + 1).execute();
    return toPage(rows, args.limit, toTicketMessage, { key: ctx.cursorKey, scope, positionOf: (row) => [row.created_at, row.seq] });
  },
});

export const sendTicketMessage = defineTool({
  name: 'send_ticket_message',
  title: 'Send ticket message',
  description:
    'Reply on a ticket, or add an internal note. A public reply (internal false, the default) reaches the customer and cannot be undone: only send what the user approved, and pass an idempotency_key so a retry never sends twice. It goes to the ticket\'s contact on the channel the ticket came in on (email for email and web forms, SMS for phone and SMS, WhatsApp), or else by email, SMS or WhatsApp, whichever the contact has; it is stored as "queued" and delivered right after, and it sets the ticket to pending, waiting_on customer (reopening a resolved or closed ticket). An internal note (internal: true) is only visible to the team, is never delivered and leaves status and waiting_on unchanged. Both update the ticket\'s updated_at.',
  kind: 'send',
  input: z.object({
    workspace_id: workspaceIdSchema,
    ticket_id: ticketIdSchema,
    body: messageBodySchema,
    internal: z.boolean().default(false).describe('true: an internal note for the team, not sent to the customer. Default false.'),
    idempotency_key: idempotencyKeySchema,
  }),
  output: ticketMessageOut.extend({
    ticket_id: z.string(),
    channel: channelSchema.nullable().describe('The channel a public reply goes out on; null for an internal note.'),
    ticket_status: ticketStatusSchema.describe('The ticket\'s status after this message.'),
    waiting_on: waitingOnSchema.describe('The ticket\'s waiting_on after this message.'),
  }),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const ticket = await loadTicket(ctx, workspace.id, args.ticket_id);
    const result = await appendTicketMessage(ctx.db, {
      workspaceId: workspace.id,
      ticket,
      body: args.body,
      internal: args.internal,
      author: await outboundAuthor(ctx.db, ctx.credential),
      now: ctx.now().toISOString(),
    });
    return {
      ...toTicketMessage(result.message),
      ticket_id: ticket.id,
      channel: result.channel,
      ticket_status: result.ticket.status,
      waiting_on: result.ticket.waiting_on,
    };
  },
});

export const ticketTools = [listTickets, getTicket, searchTickets, listTicketMessages, sendTicketMessage];
