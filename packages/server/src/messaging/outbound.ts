import { sql, type Kysely, type Selectable } from 'kysely';
import { invalidArgument } from '../core/errors.js';
import { findInWorkspace } from '../core/find-in-workspace.js';
import { enqueueDelivery } from '../delivery/outbox.js';
import { newId } from '../ids.js';
import type { Channel, ContactsTable, ConversationsTable, Database, MessagesTable } from '../store/schema.js';
import { contactAddress, previewOf, resolveSender, type OutboundAuthor, type SenderRow } from './delivery.js';

export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<MessagesTable>;

export interface OutboundMessageInput {
  workspaceId: string;
  conversation: ConversationRow;
  /** Trimmed and length-checked by the tool's input schema (messageBodySchema). */
  body: string;
  /** Email only; other channels have no subject. Defaults to "Re: <conversation subject>". */
  subject?: string | undefined;
  senderId?: string | undefined;
  author: OutboundAuthor;
  /** ISO 8601 UTC; the message's created_at and the conversation's new updated_at. */
  now: string;
}

export interface OutboundMessageResult {
  message: MessageRow;
  sender: SenderRow;
  /** The conversation's status after the send (a closed conversation is reopened). */
  conversationStatus: ConversationRow['status'];
}

/**
 * Appends an outbound message to a conversation: stores it as `queued`, updates the
 * conversation's and the contact's last-message fields and queues it for delivery, all
 * through `db` (the caller's transaction) so either everything is written or nothing is.
 * Everything that can be refused (sender, address, subject) is checked before the first write.
 *
 * Sending on a closed conversation reopens it (status `open`): the team has resumed talking
 * to the customer, and the customer's answer must not land in a closed conversation that
 * nobody watches. A snoozed conversation stays snoozed until its snooze ends.
 */
export async function appendOutboundMessage(db: Kysely<Database>, input: OutboundMessageInput): Promise<OutboundMessageResult> {
  const { conversation, workspaceId, now } = input;
  const channel = conversation.channel;
  if (input.subject !== undefined && channel !== 'email') {
    throw invalidArgument(`subject is only used on the email channel; this conversation is on ${channel}.`);
  }
  const contact = await findInWorkspace(db, 'contacts', workspaceId, conversation.contact_id);
  const to = contactAddress(contact, channel);
  const sender = await resolveSender(db, workspaceId, channel, input.senderId);
  const subject = channel === 'email' ? (input.subject ?? replySubject(conversation.subject)) : null;

  const message: MessageRow = {
    seq: 0,
    id: newId('msg'),
    workspace_id: workspaceId,
    conversation_id: conversation.id,
    direction: 'outbound',
    author_type: 'user',
    author_id: input.author.id,
    author_name: input.author.name,
    channel,
    body: input.body,
    subject,
    status: 'queued',
    sender_id: sender.id,
    created_at: now,
  };
  const { seq: _generated, ...values } = message;
  const inserted = await db.insertInto('messages').values(values).returning('seq').executeTakeFirstOrThrow();
  message.seq = inserted.seq;

  const preview = previewOf(input.body);
  const conversationStatus = conversation.status === 'closed' ? 'open' : conversation.status;
  await db
    .updateTable('conversations')
    .set({
      status: conversationStatus,
      message_count: sql<number>`message_count + 1`,
      last_message_at: now,
      last_message_preview: preview,
      updated_at: now,
    })
    .where('id', '=', conversation.id)
    .execute();
  await db
    .updateTable('contacts')
    .set({ last_channel: channel, last_message_at: now, last_message_preview: preview, updated_at: now })
    .where('id', '=', contact.id)
    .execute();
  await enqueueDelivery(db, {
    workspaceId,
    messageId: message.id,
    kind: 'conversation',
    payload: {
      conversation_id: conversation.id,
      channel,
      to: { contact_id: contact.id, address: to },
      from: { sender_id: sender.id, address: sender.address, display_name: sender.display_name },
      subject,
      body: input.body,
    },
  });
  return { message, sender, conversationStatus };
}

function replySubject(subject: string | null): string | null {
  if (subject === null) return null;
  return /^re:/i.test(subject) ? subject : `Re: ${subject}`;
}

export interface OpenConversationOptions {
  /** ISO 8601 UTC creation time for a new conversation; defaults to the current time. */
  now?: string | undefined;
  /** Subject of a new email conversation. */
  subject?: string | undefined;
}

/**
 * The contact's conversation on a channel to send on: the most recently updated one that is
 * not closed, else a new open conversation (a closed thread is finished business; a new
 * outreach starts its own). A new conversation has no messages until the caller appends one,
 * which must happen in the same transaction.
 */
export async function findOrOpenConversation(
  db: Kysely<Database>,
  workspaceId: string,
  contact: Pick<Selectable<ContactsTable>, 'id'>,
  channel: Channel,
  options: OpenConversationOptions = {},
): Promise<ConversationRow> {
  const existing = await db
    .selectFrom('conversations')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contact.id)
    .where('channel', '=', channel)
    .where('status', '!=', 'closed')
    .orderBy('updated_at', 'desc')
    .orderBy('seq', 'desc')
    .executeTakeFirst();
  if (existing) return existing;
  const now = options.now ?? new Date().toISOString();
  const conversation: ConversationRow = {
    seq: 0,
    id: newId('cv'),
    workspace_id: workspaceId,
    contact_id: contact.id,
    channel,
    status: 'open',
    assignee_id: null,
    subject: channel === 'email' ? (options.subject ?? null) : null,
    message_count: 0,
    last_message_at: null,
    last_message_preview: null,
    created_at: now,
    updated_at: now,
  };
  const { seq: _generated, ...values } = conversation;
  const inserted = await db.insertInto('conversations').values(values).returning('seq').executeTakeFirstOrThrow();
  return { ...conversation, seq: inserted.seq };
}
