import { z } from 'zod';
import { notFound } from '../core/errors.js';
import { findInWorkspace } from '../core/find-in-workspace.js';
import { outboundAuthor } from '../messaging/delivery.js';
import { appendOutboundMessage, type ConversationRow, type MessageRow } from '../messaging/outbound.js';
import { MAX_RANKED_MATCHES } from '../store/conversation-ranking.js';
import { defineWorkspaceTool, type ToolContext } from './define.js';
import { narrow } from './list-filters.js';
import { defineListTool } from './list-tool.js';
import { authorOf, contactName, defineThreadMessagesTool, deliveryStatusSchema, matchesOf, messageAuthorSchema, rowsById } from './message-threads.js';
import { pageSchema, paginationShape, rankedPage } from './pagination.js';
import { channelSchema, idempotencyKeySchema, idSchema, messageBodySchema, timeFilter, timestampOut } from './schemas.js';
import { searchQuerySchema, searchTerms } from './search-query.js';

const conversationStatusSchema = z.enum(['open', 'snoozed', 'closed']);

const conversationSummary = z.object({
  id: z.string(),
  contact_id: z.string(),
  contact_name: z.string().nullable().describe('"First Last" of the contact, null when the contact has no name.'),
  channel: channelSchema,
  status: conversationStatusSchema,
  subject: z.string().nullable().describe('Email conversations only.'),
  assignee_id: z.string().nullable().describe('The user (us_…) the conversation is assigned to, or null.'),
  message_count: z.number().int(),
  last_message_at: z.string().nullable(),
  last_message_preview: z.string().nullable().describe('The last message, shortened to one line.'),
  created_at: timestampOut,
  updated_at: timestampOut,
});

const conversationOut = conversationSummary.extend({
  contact: z.object({
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    whatsapp: z.string().nullable(),
  }),
  assignee: z.object({ id: z.string(), name: z.string() }).nullable(),
});

const messageOut = z.object({
  id: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  author: messageAuthorSchema,
  channel: channelSchema,
  subject: z.string().nullable().describe('Email messages only.'),
  body: z.string(),
  status: deliveryStatusSchema('Delivery state of an outbound message; null for inbound messages and system notes.'),
  created_at: timestampOut,
});

type SummaryRow = ConversationRow & { contact_first_name: string | null; contact_last_name: string | null };

function toSummary(row: SummaryRow): z.input<typeof conversationSummary> {
  return { ...row, contact_name: contactName(row.contact_first_name, row.contact_last_name) };
}

export function toMessage(row: MessageRow): z.input<typeof messageOut> {
  return { ...row, author: authorOf(row) };
}

/** Conversations of one workspace with their contact's name, the base of every conversation read. */
function summaries(ctx: ToolContext, workspaceId: string) {
  return ctx.db
    .selectFrom('conversations as c')
    .leftJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .selectAll('c')
    .select(['ct.first_name as contact_first_name', 'ct.last_name as contact_last_name'])
    .where('c.workspace_id', '=', workspaceId);
}

const conversationIdSchema = idSchema('cv', 'Conversation');

export const listConversations = defineListTool({
  name: 'list_conversations',
  title: 'List conversations',
  description:
    'List conversations (SMS, email, WhatsApp, webchat, voice threads with contacts), most recently updated first. Filter by status, channel, contact, assignee or update time; e.g. to find conversations touched in the last 24 hours, pass updated_after. Returns summaries with the contact name and a last_message_preview; use list_conversation_messages for the transcript, and search_conversations to find what was said.',
  filters: {
    status: conversationStatusSchema.optional().describe('Only conversations in this status.'),
    channel: channelSchema.optional().describe('Only conversations on this channel.'),
    contact_id: idSchema('ct', 'Contact').optional().describe('Only this contact\'s conversations (ct_…).'),
    assignee_id: idSchema('us', 'User').optional().describe('Only conversations assigned to this user (us_…).'),
    updated_after: timeFilter('Only conversations updated at or after this time.'),
    updated_before: timeFilter('Only conversations updated before this time.'),
  },
  item: conversationSummary,
  rows: (args, ctx, workspace) =>
    narrow(summaries(ctx, workspace.id), {
      table: 'c',
      equal: { status: args.status, channel: args.channel, contact_id: args.contact_id, assignee_id: args.assignee_id },
      between: { column: 'updated_at', after: args.updated_after, before: args.updated_before },
    }),
  order: { table: 'c', column: 'updated_at', direction: 'desc' },
  toItem: toSummary,
});

export const getConversation = defineWorkspaceTool({
  name: 'get_conversation',
  title: 'Get conversation',
  description:
    'Get one conversation\'s metadata: status, channel, subject, message count, last message preview, the contact (name and addresses) and the assignee. Does not include the messages: use list_conversation_messages for those.',
  kind: 'read',
  input: { conversation_id: conversationIdSchema },
  output: conversationOut,
  async handler(args, ctx, workspace) {
    const row = await summaries(ctx, workspace.id)
      .leftJoin('users as u', 'u.id', 'c.assignee_id')
      .select(['ct.email as contact_email', 'ct.phone as contact_phone', 'ct.whatsapp as contact_whatsapp', 'u.name as assignee_name'])
      .where('c.id', '=', args.conversation_id)
      .executeTakeFirst();
    if (!row) throw notFound('Conversation', args.conversation_id);
    const summary = toSummary(row);
    return {
      ...summary,
      contact: {
        id: row.contact_id,
        name: summary.contact_name,
        email: row.contact_email,
        phone: row.contact_phone,
        whatsapp: row.contact_whatsapp,
      },
      assignee: row.assignee_id ? { id: row.assignee_id, name: row.assignee_name ?? row.assignee_id } : null,
    };
  },
});

const MATCHES_PER_CONVERSATION = 3;

const conversationHit = conversationSummary.extend({
  matches: z
    .array(z.object({ message_id: z.string(), created_at: timestampOut, snippet: z.string().describe('Text around the match, matched words in **bold**.') }))
    .describe(`Up to ${MATCHES_PER_CONVERSATION} matching messages, newest first.`),
});

export const searchConversations = defineWorkspaceTool({
  name: 'search_conversations',
  title: 'Search conversations',
  description:
    `Full-text search over the messages of every conversation, best match first. All words must match; put "exact phrases" in double quotes. created_after/created_before restrict the time of the matching messages (e.g. what a contact said last week), and a narrower window is a faster search. Each hit is the conversation summary plus up to 3 matching messages with id, created_at and a snippet. A search ranks the ${MAX_RANKED_MATCHES.toLocaleString('en-US')} newest matching messages at most: when there are more, ranked_since says from when, and created_before set to that time searches the older ones. Follow up with list_conversation_messages for the full thread.`,
  kind: 'read',
  input: {
    query: searchQuerySchema('Words to find, e.g. double charge, or "double charge" for the exact phrase.'),
    created_after: timeFilter('Only messages sent at or after this time.'),
    created_before: timeFilter('Only messages sent before this time.'),
    channel: channelSchema.optional().describe('Only conversations on this channel.'),
    status: conversationStatusSchema.optional().describe('Only conversations in this status.'),
    ...paginationShape,
  },
  output: pageSchema(conversationHit).extend({
    ranked_since: z
      .string()
      .nullable()
      .describe(
        `null when every matching message was ranked. Otherwise the search ranked only the newest ${MAX_RANKED_MATCHES.toLocaleString('en-US')} (and the rest of the hour of the last one): those sent at or after this time. Older messages match too: search them with created_before set to this time.`,
      ),
    hint: z.string().optional().describe('What to do next, when the search left older matches out.'),
  }),
  async handler(args, ctx, workspace) {
    const query = searchTerms(args.query);
    let since: string | undefined;
    const page = await rankedPage(
      ctx,
      workspace.id,
      args,
      async ({ after, since: from, limit, pageSize }) => {
        const result = await ctx.search.conversationPage(
          { workspaceId: workspace.id, query, created: { after: args.created_after, before: args.created_before }, channel: args.channel, status: args.status, limit, after, since: from },
          { size: pageSize, perParent: MATCHES_PER_CONVERSATION },
          { signal: ctx.signal },
        );
        since = result.since;
        // The next page's cursor carries the ranking's since, so every page ranks the same messages.
        return result.ranked.map((hit) => ({ ...hit, since: result.since, matches: matchesOf(result.hits, hit.id) }));
      },
      async (page) => {
        const rows = page.length ? await summaries(ctx, workspace.id).where('c.id', 'in', page.map((hit) => hit.id)).execute() : [];
        const byId = rowsById(rows);
        return page.map((hit) => ({ ...toSummary(byId(hit.id)), matches: hit.matches }));
      },
    );
    if (since === undefined) return { ...page, ranked_since: null };
    return {
      ...page,
      ranked_since: since,
      hint: `Only the newest ${MAX_RANKED_MATCHES.toLocaleString('en-US')} matching messages were ranked (those sent at or after ${since}); to search older messages, call search_conversations again with created_before "${since}".`,
    };
  },
});

export const listConversationMessages = defineThreadMessagesTool({
  name: 'list_conversation_messages',
  title: 'List conversation messages',
  description:
    'Read a conversation\'s transcript: its messages with direction, author, channel, body, delivery status and time. Newest first by default (order desc, so the first page is the latest messages); pass order asc to read from the beginning.',
  thread: { table: 'conversations', argument: 'conversation_id', schema: conversationIdSchema },
  item: messageOut,
  messages: (db, conversationId) => db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId),
  toItem: toMessage,
});

export const sendConversationMessage = defineWorkspaceTool({
  name: 'send_conversation_message',
  title: 'Send conversation message',
  description:
    'Send a message to the contact of a conversation, on the conversation\'s channel. This reaches a real person and cannot be undone: only send what the user approved, and pass an idempotency_key (a UUID per logical send) so a retry never sends twice. The message is stored at once with status "queued" and returned; delivery happens right after. sender_id picks the identity to send from (see list_workspace_senders; it must be on the conversation\'s channel); without it the channel\'s default sender is used. Sending on a closed conversation reopens it (status open); a snoozed one stays snoozed. Voice conversations cannot take written messages.',
  kind: 'send',
  input: {
    conversation_id: conversationIdSchema,
    body: messageBodySchema,
    sender_id: idSchema('sd', 'Sender').optional().describe('Sender identity (sd_…) on the conversation\'s channel; default: the channel\'s default sender.'),
    idempotency_key: idempotencyKeySchema,
  },
  output: messageOut.extend({
    conversation_id: z.string(),
    conversation_status: conversationStatusSchema.describe('The conversation\'s status after the send.'),
    sender: z.object({ id: z.string(), address: z.string(), display_name: z.string() }),
  }),
  async handler(args, ctx, workspace) {
    const conversation = await findInWorkspace(ctx.db, 'conversations', workspace.id, args.conversation_id);
    const result = await appendOutboundMessage(ctx.db, {
      workspaceId: workspace.id,
      conversation,
      body: args.body,
      senderId: args.sender_id,
      author: await outboundAuthor(ctx.db, ctx.credential),
      now: ctx.now().toISOString(),
    });
    return {
      ...toMessage(result.message),
      conversation_id: conversation.id,
      conversation_status: result.conversationStatus,
      sender: { id: result.sender.id, address: result.sender.address, display_name: result.sender.display_name },
    };
  },
});

export const conversationTools = [
  listConversations,
  getConversation,
  searchConversations,
  listConversationMessages,
  sendConversationMessage,
];
