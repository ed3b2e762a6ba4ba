import type { Kysely } from 'kysely';
import { z } from 'zod';
import { invalidArgument } from '../core/errors.js';
import type { AttributeType, Database } from '../store/schema.js';
import { jsonArray } from './schemas.js';

/**
 * Custom attribute values: validation against the workspace's definitions and storage. Shared by
 * patch_contact_custom_attributes and create_contact so both accept exactly the same values.
 */

export type AttributeValue = string | number | boolean;

/** Most keys one call may set, so a single request cannot rewrite an unbounded map. */
const MAX_KEYS = 100;

export const attributePatchSchema = z
  .record(
    z.string().min(1).max(100),
    z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]),
  )
  .refine((value) => Object.keys(value).length <= MAX_KEYS, `at most ${MAX_KEYS} attributes per call`)
  .describe(
    'Values by attribute key (see list_custom_attributes). Types: string, number, boolean, date ("YYYY-MM-DD") or one of an enum\'s options; null removes the value.',
  );

export interface ResolvedAttributeValue {
  attributeId: string;
  key: string;
  /** null removes the contact's value. */
  value: AttributeValue | null;
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** What a definition accepts, in words, for error messages; null when `value` is acceptable. */
function typeProblem(type: AttributeType, options: string[], value: AttributeValue): string | null {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? null : 'a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'a finite number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'true or false';
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? null : 'a date "YYYY-MM-DD"';
    case 'enum':
      return typeof value === 'string' && options.includes(value)
        ? null
        : `one of ${options.map((option) => JSON.stringify(option)).join(', ')}`;
  }
}

/**
 * Checks every key and value of a patch before anything is written, and reports every problem
 * at once: a key the workspace does not define, or a value of the wrong type for its key.
 */
export async function resolveAttributePatch(
  db: Kysely<Database>,
  workspaceId: string,
  attributes: Record<string, AttributeValue | null>,
): Promise<ResolvedAttributeValue[]> {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return [];
  const definitions = await db
    .selectFrom('custom_attributes')
    .select(['id', 'key', 'type', 'options'])
    .where('workspace_id', '=', workspaceId)
    .where('key', 'in', keys)
    .execute();
  const byKey = new Map(definitions.map((definition) => [definition.key, definition]));
  const unknown = keys.filter((key) => !byKey.has(key));
  if (unknown.length > 0) {
    throw invalidArgument(
      `unknown custom attribute key${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')}. Call list_custom_attributes for the defined keys.`,
      { unknown_keys: unknown },
    );
  }
  const problems: Array<{ key: string; message: string }> = [];
  const resolved = keys.map((key) => {
    const definition = byKey.get(key)!;
    const value = attributes[key] ?? null;
    if (value !== null) {
      const expected = typeProblem(definition.type, jsonArray(definition.options), value);
      if (expected) problems.push({ key, message: `${key} must be ${expected} (${definition.type}), got ${JSON.stringify(value)}` });
    }
    return { attributeId: definition.id, key, value };
  });
  if (problems.length > 0) {
    throw invalidArgument(
      `invalid custom attribute value${problems.length === 1 ? '' : 's'}: ${problems.map((p) => p.message).join('; ')}.`,
      { invalid_keys: problems.map((p) => p.key) },
    );
  }
  return resolved;
}

/** Writes already-resolved values for one contact: sets the non-null ones, deletes the nulls. */
export async function applyAttributeValues(
  db: Kysely<Database>,
  contactId: string,
  values: readonly ResolvedAttributeValue[],
): Promise<void> {
  for (const { attributeId, value } of values) {
    if (value === null) {
      await db
        .deleteFrom('contact_attribute_values')
        .where('contact_id', '=', contactId)
        .where('attribute_id', '=', attributeId)
        .execute();
    } else {
      const json = JSON.stringify(value);
      await db
        .insertInto('contact_attribute_values')
        .values({ contact_id: contactId, attribute_id: attributeId, value: json })
        .onConflict((oc) => oc.columns(['contact_id', 'attribute_id']).doUpdateSet({ value: json }))
        .execute();
    }
  }
}
