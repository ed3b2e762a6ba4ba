import type { Kysely } from 'kysely';
import { newId, nowIso } from '../ids.js';
import type { Database } from '../store/schema.js';

export interface OutboundMessage {
  workspaceId: string;
  messageId: string;
  kind: 'conversation' | 'ticket';
  /** What the delivery receiver gets, besides the message id (its dedupe key). */
  payload: Record<string, unknown>;
}

/**
 * Queues a message for delivery. Call it with the same transaction that inserts the message,
 * so a message is never stored without being queued, nor queued without being stored.
 */
export async function enqueueDelivery(db: Kysely<Database>, message: OutboundMessage): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('outbox')
    .values({
      id: newId('ob'),
      workspace_id: message.workspaceId,
      message_id: message.messageId,
      message_kind: message.kind,
      payload: JSON.stringify({ message_id: message.messageId, ...message.payload }),
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      locked_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}
