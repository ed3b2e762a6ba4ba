import { sql } from 'kysely';
import { normalizeEmail, normalizePhone } from '../core/normalize.js';
import { rngFor, type WorkspaceSeed } from './context.js';
import { contactAt } from './people.js';
import type { AttributeRef } from './setup.js';

/** Normalised columns computed by the same functions the contact tools use, so search finds demo contacts. */
function orNull(value: string | null, normalize: (text: string) => string): string | null {
  return value === null ? null : normalize(value);
}

/** Contacts and their custom attribute values, one batch at a time. */
export async function seedContacts(ws: WorkspaceSeed, attributes: readonly AttributeRef[]): Promise<void> {
  const { out, clock } = ws.run;
  for (let i = 0; i < ws.contactCount; i++) {
    const c = contactAt(ws.space, i);
    await out.add('contacts', {
      id: c.id,
      workspace_id: ws.id,
      first_name: c.first_name,
      last_name: c.last_name,
      email: c.email,
      email_norm: orNull(c.email, normalizeEmail),
      phone: c.phone,
      phone_norm: orNull(c.phone, normalizePhone),
      whatsapp: c.whatsapp,
      whatsapp_norm: orNull(c.whatsapp, normalizePhone),
      name_norm: `${c.first_name} ${c.last_name ?? ''}`.toLowerCase().trim(),
      archived: c.archived ? 1 : 0,
      ai_paused: c.ai_paused ? 1 : 0,
      // Filled from the conversations once they exist (updateContactActivity).
      last_channel: null,
      last_message_at: null,
      last_message_preview: null,
      created_at: c.created_at,
      updated_at: c.updated_at,
    });
    const rng = rngFor(ws, 'attributes', i);
    for (const attribute of attributes) {
      if (!rng.chance(attribute.spec.share)) continue;
      const value = attribute.spec.value(rng, c, clock);
      await out.add('contact_attribute_values', { contact_id: c.id, attribute_id: attribute.id, value: JSON.stringify(value) });
    }
    ws.run.progress(ws, 'contacts', i + 1, ws.contactCount);
  }
}

/**
 * Sets each contact's last_channel / last_message_at / last_message_preview from its most
 * recent conversation: one set-based statement, so the columns agree with the messages by
 * construction and no per-row updates are needed.
 */
export async function updateContactActivity(ws: WorkspaceSeed): Promise<void> {
  await ws.run.out.flush();
  await sql`
    UPDATE contacts SET (last_channel, last_message_at, last_message_preview) = (
      SELECT c.channel, c.last_message_at, c.last_message_preview FROM conversations c
      WHERE c.contact_id = contacts.id AND c.last_message_at IS NOT NULL
      ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1)
    WHERE workspace_id = ${ws.id}
      AND EXISTS (SELECT 1 FROM conversations c WHERE c.contact_id = contacts.id)`.execute(await ws.run.out.db());
}
