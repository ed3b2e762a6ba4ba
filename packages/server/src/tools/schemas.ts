import { z } from 'zod';
import { MAX_BODY_CHARS } from '../messaging/delivery.js';

/** Argument schemas shared by several tool surfaces. */

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
