import { z } from 'zod';
import { MAX_BODY_CHARS } from '../messaging/delivery.js';

/** Argument schemas shared by several tool surfaces. */

/** False on C0 and C1 control characters (CR, LF, TAB, ESC, NUL…), DEL, and the Unicode line and paragraph separators. */
function isOneLine(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return false;
  }
  return true;
}

/**
 * A text field that ends up in a header or a single-line display (an email subject, a name, a
 * title, a one-line description): it must be one line. A line break in a subject is a header
 * injection at the webhook or mail system that sends it (`Hello\r\nBcc: …`); in a name or title it
 * forges lines in lists, logs and the consent page. Refused as invalid_argument naming the field
 * (the check is a refinement: the published JSON schema stays the same).
 */
export function singleLine(schema: z.ZodString): z.ZodString {
  return schema.refine(isOneLine, 'must be one line of text, without line breaks (CR, LF) or other control characters');
}

export const workspaceIdSchema = z
  .string()
  .min(1)
  .max(100)
  .describe('Workspace id (wp_…) or slug (e.g. "acme-hotels"). Use list_workspaces to find it.');

/** An id with its type prefix, e.g. `idSchema('ct', 'Contact')`. A wrong prefix is a clear error, not a miss. */
export function idSchema(prefix: string, what: string) {
  return z
    .string()
    .min(prefix.length + 2)
    .max(100)
    .regex(new RegExp(`^${prefix}_[0-9a-z]+$`), `must be a ${what} id starting with "${prefix}_"`)
    .describe(`${what} id (${prefix}_…).`);
}

/**
 * ISO 8601 timestamp with a UTC offset or Z, normalised to the UTC `…Z` form stored in the
 * database so string comparison is time comparison.
 */
export const timestampSchema = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value).toISOString());

export function timeFilter(description: string) {
  return timestampSchema.optional().describe(`${description} ISO 8601, e.g. 2026-01-31T00:00:00Z.`);
}

/** A calendar date, `YYYY-MM-DD`. */
export const dateSchema = z.iso.date();

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe(
    'A unique key (e.g. a UUID) per logical write. Retrying with the same key and arguments replays the first result instead of writing again. Strongly recommended on every send.',
  );

/** The text of a send: conversation, contact and ticket messages accept the same. */
export const messageBodySchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_BODY_CHARS)
  .describe(`The message text (1-${MAX_BODY_CHARS} characters after trimming). Sent exactly as written.`);

export const channelSchema = z.enum(['sms', 'email', 'whatsapp', 'webchat', 'voice']);

export const timestampOut = z.string().describe('ISO 8601 UTC timestamp.');

/** Reads a JSON array column. */
export function jsonArray<T = string>(text: string | null): T[] {
  if (!text) return [];
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? (value as T[]) : [];
}

export function flag(value: number | boolean | null | undefined): boolean {
  return value === true || value === 1;
}
