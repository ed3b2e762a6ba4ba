import { sql } from 'kysely';
import { z } from 'zod';
import { notFound } from '../core/errors.js';
import { findInWorkspace } from '../core/find-in-workspace.js';
import { outboundAuthor } from '../messaging/delivery.js';
import { appendTicketMessage, type TicketMessageRow, type TicketRow } from '../messaging/ticket-reply.js';
import type { TicketStatus } from '../store/schema.js';
import { defineWorkspaceTool, type ToolContext } from './define.js';
import { narrow } from './list-filters.js';
import { defineListTool } from './list-tool.js';
import { authorOf, contactName, defineThreadMessagesTool, deliveryStatusSchema, matchesOf, messageAuthorSchema, rowsById } from './message-threads.js';
import { pageSchema, paginationShape, rankedPage } from './pagination.js';
import { channelSchema, flag, idempotencyKeySchema, idSchema, jsonArray, messageBodySchema, timeFilter, timestampOut } from './schemas.js';
import { searchQuerySchema, searchTerms } from './search-query.js';

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
  author: messageAuthorSchema,
  body: z.string(),
  internal: z.boolean().describe('true: an internal note the customer never sees.'),
  status: deliveryStatusSchema('Delivery state of a public reply; null for customer messages and internal notes.'),
  created_at: timestampOut,
});

type TicketListRow = TicketRow & {
  contact_first_name: string | null;
  contact_last_name: string | null;
  assignee_name: string | null;
};

function toTicket(row: TicketListRow): z.input<typeof ticketOut> {
  return {
    ...row,
    tags: jsonArray(row.tags),
    contact_name: contactName(row.contact_first_name, row.contact_last_name),
    assignee: row.assignee_id ? { id: row.assignee_id, name: row.assignee_name ?? row.assignee_id } : null,
  };
}

function toTicketMessage(row: TicketMessageRow): z.input<typeof ticketMessageOut> {
  return { ...row, author: authorOf(row), internal: flag(row.internal) };
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

const ticketIdSchema = idSchema('tk', 'Ticket');

export const listTickets = defineListTool({
  name: 'list_tickets',
  title: 'List tickets',
  description:
    'List helpdesk tickets, most recently updated first, each with subject, one-line summary, status, waiting_on, priority, tags, the customer\'s name and the assignee. Filters combine: e.g. every open ticket touched in the last 24 hours is status "open" (= new + pending) with updated_after set to 24 hours ago. Use get_ticket for one ticket, list_ticket_messages for its thread, search_tickets to find tickets by content.',
  filters: {
    status: statusFilterSchema,
    waiting_on: waitingOnSchema.optional().describe('Only tickets waiting on this party.'),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional().describe('Only tickets of this priority.'),
    assignee_id: idSchema('us', 'User').optional().describe('Only tickets assigned to this user (us_…).'),
    contact_id: idSchema('ct', 'Contact').optional().describe('Only this contact\'s tickets (ct_…).'),
    tag: z.string().trim().min(1).max(100).optional().describe('Only tickets with this tag (case-insensitive).'),
    updated_after: timeFilter('Only tickets updated at or after this time.'),
    updated_before: timeFilter('Only tickets updated before this time.'),
  },
  item: ticketOut,
  rows: (args, ctx, workspace) => {
    let query = narrow(tickets(ctx, workspace.id), {
      table: 't',
      equal: { waiting_on: args.waiting_on, priority: args.priority, assignee_id: args.assignee_id, contact_id: args.contact_id },
      between: { column: 'updated_at', after: args.updated_after, before: args.updated_before },
    });
    const statuses = statusesFor(args.status);
    if (statuses) query = query.where('t.status', 'in', statuses);
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
    return query;
  },
  order: { table: 't', column: 'updated_at', direction: 'desc' },
  toItem: toTicket,
});

export const getTicket = defineWorkspaceTool({
  name: 'get_ticket',
  title: 'Get ticket',
  description:
    'Get one helpdesk ticket: subject, summary, status, waiting_on, priority, tags, contact, assignee, external id and source. The conversation on the ticket comes from list_ticket_messages.',
  kind: 'read',
  input: { ticket_id: ticketIdSchema },
  output: ticketOut,
  async handler(args, ctx, workspace) {
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

export const searchTickets = defineWorkspaceTool({
  name: 'search_tickets',
  title: 'Search tickets',
  description:
    'Full-text search over ticket subjects, summaries and messages (internal notes included), best match first. All words must match; put "exact phrases" in double quotes. Filter by status (open = new + pending) and update time. Each hit is the ticket plus up to 3 snippets showing where it matched.',
  kind: 'read',
  input: {
    query: searchQuerySchema('Words to find, e.g. refund, or "late checkout" for the exact phrase.'),
    status: statusFilterSchema,
    updated_after: timeFilter('Only tickets updated at or after this time.'),
    updated_before: timeFilter('Only tickets updated before this time.'),
    ...paginationShape,
  },
  output: pageSchema(ticketHit),
  async handler(args, ctx, workspace) {
    const query = searchTerms(args.query);
    return rankedPage(
      ctx,
      workspace.id,
      args,
      ({ after, limit }) =>
        ctx.search.tickets(
          { workspaceId: workspace.id, query, status: statusesFor(args.status), updated: { after: args.updated_after, before: args.updated_before }, limit, after },
          { signal: ctx.signal },
        ),
      async (page) => {
        const ticketIds = page.map((hit) => hit.id);
        const rows = ticketIds.length ? await tickets(ctx, workspace.id).where('t.id', 'in', ticketIds).execute() : [];
        const byId = rowsById(rows);
        const hits = await ctx.search.ticketHits({ workspaceId: workspace.id, query, ticketIds, perParent: MATCHES_PER_TICKET }, { signal: ctx.signal });
        return page.map((hit) => ({ ...toTicket(byId(hit.id)), matches: matchesOf(hits, hit.id) }));
      },
    );
  },
});

export const listTicketMessages = defineThreadMessagesTool({
  name: 'list_ticket_messages',
  title: 'List ticket messages',
  description:
    'Read a ticket\'s thread: customer messages, public replies and internal notes (internal: true, never shown to the customer). Newest first by default; pass order asc to read from the beginning.',
  thread: { table: 'tickets', argument: 'ticket_id', schema: ticketIdSchema },
  item: ticketMessageOut,
  messages: (db, ticketId) => db.selectFrom('ticket_messages').selectAll().where('ticket_id', '=', ticketId),
  toItem: toTicketMessage,
});

export const sendTicketMessage = defineWorkspaceTool({
  name: 'send_ticket_message',
  title: 'Send ticket message',
  description:
    'Reply on a ticket, or add an internal note. A public reply (internal false, the default) reaches the customer and cannot be undone: only send what the user approved, and pass an idempotency_key so a retry never sends twice. It goes to the ticket\'s contact on the channel the ticket came in on (email for email and web forms, SMS for phone and SMS, WhatsApp), or else by email, SMS or WhatsApp, whichever the contact has; it is stored as "queued" and delivered right after, and it sets the ticket to pending, waiting_on customer (reopening a resolved or closed ticket). An internal note (internal: true) is only visible to the team, is never delivered and leaves status and waiting_on unchanged. Both update the ticket\'s updated_at.',
  kind: 'send',
  input: {
    ticket_id: ticketIdSchema,
    body: messageBodySchema,
    internal: z.boolean().default(false).describe('true: an internal note for the team, not sent to the customer. Default false.'),
    idempotency_key: idempotencyKeySchema,
  },
  output: ticketMessageOut.extend({
    ticket_id: z.string(),
    channel: channelSchema.nullable().describe('The channel a public reply goes out on; null for an internal note.'),
    ticket_status: ticketStatusSchema.describe('The ticket\'s status after this message.'),
    waiting_on: waitingOnSchema.describe('The ticket\'s waiting_on after this message.'),
  }),
  async handler(args, ctx, workspace) {
    const ticket = await findInWorkspace(ctx.db, 'tickets', workspace.id, args.ticket_id);
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
