import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../store/schema.js';
import { invalidArgument, ToolError } from '../core/errors.js';
import { normalizeEmail, normalizeName, normalizePhone } from '../core/normalize.js';
import { singleLine } from './schemas.js';

/**
 * Contact fields as the write tools accept them, and the derived `_norm` columns that search
 * and the per-workspace uniqueness rules work on. Kept in one place so creating and patching
 * a contact normalise identically (the normalizers themselves are in core/normalize.ts).
 */

export const nameSchema = singleLine(z.string().trim().min(1).max(100));

export const emailSchema = singleLine(z.string().trim().max(254)).pipe(z.email('must be an email address such as "maria@example.com"'));

/** E.164 allows at most 15 digits; fewer than 7 is no reachable number anywhere. */
export function phoneSchema() {
  // singleLine refuses line breaks and other control characters, which \s below would let through.
  return singleLine(z.string().trim().max(40)).refine(
    (value) => /^\+?[\d\s().-]+$/.test(value) && normalizePhone(value).length >= 7 && normalizePhone(value).length <= 15,
    'must be a phone number of 7-15 digits, optionally with +, spaces, dots, dashes or parentheses, e.g. "+1 415 555 0100"',
  );
}

export interface ContactAddresses {
  email: string | null;
  phone: string | null;
  whatsapp: string | null;
}

/** A contact nobody can reach is no contact: at least one address must remain. */
export function requireAnAddress(contact: ContactAddresses): void {
  if (!contact.email && !contact.phone && !contact.whatsapp) {
    throw invalidArgument('a contact needs at least one of email, phone or whatsapp.');
  }
}

/** The `_norm` columns for a contact's (new) fields. */
export function contactNorms(fields: ContactAddresses & { first_name: string | null; last_name: string | null }) {
  return {
    email_norm: fields.email === null ? null : normalizeEmail(fields.email),
    phone_norm: fields.phone === null ? null : normalizePhone(fields.phone),
    whatsapp_norm: fields.whatsapp === null ? null : normalizePhone(fields.whatsapp),
    name_norm: normalizeName(fields.first_name, fields.last_name),
  };
}

/**
 * Email (case-insensitive) and phone (digits only) are unique per workspace. Refuses values held
 * by another contact than `selfId`, naming that contact so the caller can use or patch it instead.
 */
export async function assertUniqueAddresses(
  db: Kysely<Database>,
  workspaceId: string,
  norms: { email_norm?: string | null | undefined; phone_norm?: string | null | undefined },
  selfId?: string,
): Promise<void> {
  const checks = [
    { column: 'email_norm' as const, value: norms.email_norm, what: 'email address' },
    { column: 'phone_norm' as const, value: norms.phone_norm, what: 'phone number' },
  ];
  for (const { column, value, what } of checks) {
    if (value === null || value === undefined) continue;
    let query = db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where(column, '=', value);
    if (selfId) query = query.where('id', '!=', selfId);
    const existing = await query.executeTakeFirst();
    if (existing) {
      throw new ToolError(
        'conflict',
        `contact ${existing.id} already has this ${what}; ${what}s are unique per workspace. Use or patch ${existing.id} instead.`,
        { existing_contact_id: existing.id, field: column === 'email_norm' ? 'email' : 'phone' },
      );
    }
  }
}
