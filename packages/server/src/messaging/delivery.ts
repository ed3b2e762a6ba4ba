import type { Kysely, Selectable } from 'kysely';
import type { Credential } from '../core/credential.js';
import { invalidArgument } from '../core/errors.js';
import type { Channel, ContactsTable, Database, SendersTable } from '../store/schema.js';

/**
 * What every send needs besides the message itself: who it goes to, who it comes from and
 * who wrote it. Shared by conversation, contact and ticket sends so they agree on the rules.
 */

/** Longest body a send accepts: longer than any channel delivers in one message, short enough to review. */
export const MAX_BODY_CHARS = 10_000;

const PREVIEW_CHARS = 140;

/** The one-line preview lists show for a conversation's or contact's last message. */
export function previewOf(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1).trimEnd()}…` : line;
}

export type SenderRow = Selectable<SendersTable>;

/**
 * The sender identity a message goes out from. A named sender must belong to the workspace
 * and to the message's channel (an SMS number cannot send an email). Without one, the
 * channel's default sender is used, or its first sender when none is marked default.
 */
export async function resolveSender(
  db: Kysely<Database>,
  workspaceId: string,
  channel: Channel,
  senderId?: string,
): Promise<SenderRow> {
  if (senderId !== undefined) {
    const sender = await db
      .selectFrom('senders')
      .selectAll()
      .where('id', '=', senderId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!sender) {
      throw invalidArgument(`sender_id ${senderId} is not a sender of this workspace. Call list_workspace_senders to see them.`);
    }
    if (sender.channel !== channel) {
      throw invalidArgument(
        `sender_id ${senderId} sends on ${sender.channel}, but this message goes out on ${channel}. Call list_workspace_senders with channel "${channel}".`,
      );
    }
    return sender;
  }
  const sender = await db
    .selectFrom('senders')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('channel', '=', channel)
    .orderBy('is_default', 'desc')
    .orderBy('id')
    .executeTakeFirst();
  if (!sender) throw invalidArgument(`this workspace has no sender for the ${channel} channel, so nothing can be sent on it.`);
  return sender;
}

type ContactAddressFields = Pick<Selectable<ContactsTable>, 'id' | 'email' | 'phone' | 'whatsapp'>;

/**
 * The contact's address on a channel. Webchat reaches the contact through their chat
 * session, so it has no address. Voice is refused: a written message cannot be spoken to
 * a caller, and pretending to deliver it would lose it.
 */
export function contactAddress(contact: ContactAddressFields, channel: Channel): string | null {
  if (channel === 'voice') {
    throw invalidArgument(
      'written messages cannot be sent on the voice channel; send an SMS instead (send_contact_message with channel "sms").',
    );
  }
  if (channel === 'webchat') return null;
  const address = channel === 'email' ? contact.email : channel === 'sms' ? contact.phone : contact.whatsapp;
  if (!address) {
    const field = channel === 'sms' ? 'phone number' : channel === 'email' ? 'email address' : 'WhatsApp number';
    throw invalidArgument(`contact ${contact.id} has no ${field}, so nothing can be sent to them on ${channel}.`);
  }
  return address;
}

export interface OutboundAuthor {
  id: string | null;
  name: string;
}

/**
 * Who wrote an API send: the signed-in user for OAuth credentials, otherwise the API itself
 * (an API token belongs to no user), so transcripts always show a name.
 */
export async function outboundAuthor(db: Kysely<Database>, credential: Credential): Promise<OutboundAuthor> {
  if (credential.userId === null) return { id: null, name: 'API' };
  const user = await db.selectFrom('users').select('name').where('id', '=', credential.userId).executeTakeFirst();
  return { id: credential.userId, name: user?.name ?? 'API' };
}
