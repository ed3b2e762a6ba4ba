import type { Kysely, Selectable } from 'kysely';
import { invalidArgument } from '../core/errors.js';
import { enqueueDelivery } from '../delivery/outbox.js';
import { newId } from '../ids.js';
import type { Channel, ContactsTable, Database, TicketMessagesTable, TicketsTable } from '../store/schema.js';
import { contactAddress, resolveSender, type OutboundAuthor, type SenderRow } from './delivery.js';

export type TicketRow = Selectable<TicketsTable>;
export type TicketMessageRow = Selectable<TicketMessagesTable>;

export interface TicketMessageInput {
  workspaceId: string;
  ticket: TicketRow;
  /** Trimmed and length-checked by the tool's input schema (messageBodySchema). */
  body: string;
  internal: boolean;
  author: OutboundAuthor;
  /** ISO 8601 UTC; the message's created_at and the ticket's new updated_at. */
  now: string;
}

export interface TicketMessageResult {
  message: TicketMessageRow;
  /** The channel a public reply goes out on; null for an internal note. */
  channel: Channel | null;
  ticket: Pick<TicketRow, 'status' | 'waiting_on' | 'updated_at'>;
}

/** The channel a ticket's source suggests replying on; sources are free text from the helpdesk. */
const SOURCE_CHANNEL: Readonly<Record<string, Channel>> = {
  email: 'email',
  web_form: 'email',
  sms: 'sms',
  phone: 'sms',
  voice: 'sms',
  whatsapp: 'whatsapp',
};

/** Fallbacks, in order, when the contact has no address on the source's channel. */
const REPLY_CHANNELS: readonly Channel[] = ['email', 'sms', 'whatsapp'];

type Contact = Selectable<ContactsTable>;

/**
 * Where a public reply goes: the channel the ticket came in on, or else the first of email,
 * SMS, WhatsApp the contact has an address for. Webchat is never used: a chat session is gone
 * by the time a ticket is answered, and a reply must reach the customer later.
 */
function replyRoute(ticket: TicketRow, contact: Contact): { channel: Channel; address: string } {
  const preferred = ticket.source ? SOURCE_CHANNEL[ticket.source.toLowerCase()] : undefined;
  const candidates = preferred ? [preferred, ...REPLY_CHANNELS.filter((c) => c !== preferred)] : REPLY_CHANNELS;
  for (const channel of candidates) {
    const has = channel === 'email' ? contact.email : channel === 'sms' ? contact.phone : contact.whatsapp;
    if (has) return { channel, address: contactAddress(contact, channel) as string };
  }
  throw invalidArgument(
    `contact ${contact.id} has no email address, phone number or WhatsApp number, so a reply cannot reach them; add an internal note instead (internal: true).`,
  );
}

interface ReplyDelivery {
  channel: Channel;
  address: string;
  contact: Contact;
  sender: SenderRow;
}

/** Who a public reply goes to and from; refuses a ticket whose customer cannot be reached. */
async function planDelivery(db: Kysely<Database>, workspaceId: string, ticket: TicketRow): Promise<ReplyDelivery> {
  if (ticket.contact_id === null) {
    throw invalidArgument(`ticket ${ticket.id} has no contact to reply to; add an internal note instead (internal: true).`);
  }
  const contact = await db
    .selectFrom('contacts')
    .selectAll()
    .where('id', '=', ticket.contact_id)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!contact) throw invalidArgument(`ticket ${ticket.id} refers to a contact that no longer exists; add an internal note instead.`);
  const route = replyRoute(ticket, contact);
  return { ...route, contact, sender: await resolveSender(db, workspaceId, route.channel) };
}

/**
 * Adds a message to a ticket through `db` (the caller's transaction).
 *
 * An internal note stays inside the team: stored with `internal` set and no delivery status,
 * never queued, and it leaves status and waiting_on alone. A public reply is stored as
 * `queued` and queued for delivery to the ticket's contact; it sets the ticket to `pending`,
 * waiting on the customer (which also reopens a resolved or closed ticket: the team is
 * talking to the customer about it again). Either way the ticket's updated_at moves.
 */
export async function appendTicketMessage(db: Kysely<Database>, input: TicketMessageInput): Promise<TicketMessageResult> {
  const { ticket, workspaceId, now } = input;
  // Everything a public reply can be refused for is checked before the first write.
  const delivery = input.internal ? null : await planDelivery(db, workspaceId, ticket);

  const message: TicketMessageRow = {
    seq: 0,
    id: newId('tm'),
    workspace_id: workspaceId,
    ticket_id: ticket.id,
    direction: 'outbound',
    author_type: 'user',
    author_id: input.author.id,
    author_name: input.author.name,
    body: input.body,
    internal: input.internal ? 1 : 0,
    status: input.internal ? null : 'queued',
    created_at: now,
  };
  const { seq: _generated, ...values } = message;
  const inserted = await db.insertInto('ticket_messages').values(values).returning('seq').executeTakeFirstOrThrow();
  message.seq = inserted.seq;

  const after = input.internal
    ? { status: ticket.status, waiting_on: ticket.waiting_on, updated_at: now }
    : { status: 'pending' as const, waiting_on: 'customer' as const, updated_at: now };
  await db.updateTable('tickets').set(after).where('id', '=', ticket.id).execute();

  if (delivery) {
    const { channel, address, contact, sender } = delivery;
    await enqueueDelivery(db, {
      workspaceId,
      messageId: message.id,
      kind: 'ticket',
      payload: {
        ticket_id: ticket.id,
        external_ticket_id: ticket.external_ticket_id,
        channel,
        to: { contact_id: contact.id, address },
        from: { sender_id: sender.id, address: sender.address, display_name: sender.display_name },
        subject: channel === 'email' ? `Re: ${ticket.subject}` : null,
        body: input.body,
      },
    });
  }
  return { message, channel: delivery?.channel ?? null, ticket: after };
}
