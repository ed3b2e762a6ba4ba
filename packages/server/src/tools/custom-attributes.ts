import { z } from 'zod';
import { invalidArgument } from '../core/errors.js';
import { applyAttributeValues, attributePatchSchema, resolveAttributePatch } from './attribute-values.js';
import { contactAttributes, loadContact } from './contacts.js';
import { defineWorkspaceTool, type AnyTool } from './define.js';
import { defineListTool } from './list-tool.js';
import { idempotencyKeySchema, idSchema, jsonArray } from './schemas.js';

const attributeDefinition = z.object({
  id: z.string(),
  key: z.string().describe('The key used in custom_attributes maps.'),
  label: z.string(),
  type: z.enum(['string', 'number', 'boolean', 'date', 'enum']),
  options: z.array(z.string()).optional().describe('Allowed values (enum attributes only).'),
});

const attributeValue = z.union([z.string(), z.number(), z.boolean()]);

const contactAttributesOut = z.object({
  contact_id: z.string(),
  attributes: z.record(z.string(), attributeValue).describe('Values by attribute key; keys without a value are absent.'),
});

export const listCustomAttributes = defineListTool({
  name: 'list_custom_attributes',
  title: 'List custom attributes',
  description:
    'List the custom attribute definitions of a workspace (the keys contacts can carry), ordered by key, with each one\'s type and, for enums, the allowed options.',
  filters: {},
  item: attributeDefinition,
  rows: (_args, ctx, workspace) => ctx.db.selectFrom('custom_attributes').selectAll().where('workspace_id', '=', workspace.id),
  // Keys are unique per workspace, so the key alone is a total order to page on.
  order: { column: 'key', direction: 'asc', unique: true },
  toItem: (row) => ({
    id: row.id,
    key: row.key,
    label: row.label,
    type: row.type,
    ...(row.type === 'enum' ? { options: jsonArray(row.options) } : {}),
  }),
});

const contactIdSchema = idSchema('ct', 'Contact');

export const getContactCustomAttributes = defineWorkspaceTool({
  name: 'get_contact_custom_attributes',
  title: 'Get contact custom attributes',
  description: 'Get the custom attribute values of one contact as a map from attribute key to value.',
  kind: 'read',
  input: { contact_id: contactIdSchema },
  output: contactAttributesOut,
  async handler(args, ctx, workspace) {
    const contact = await loadContact(ctx, workspace.id, args.contact_id);
    return { contact_id: contact.id, attributes: await contactAttributes(ctx, contact.id) };
  },
});

export const patchContactCustomAttributes = defineWorkspaceTool({
  name: 'patch_contact_custom_attributes',
  title: 'Patch contact custom attributes',
  description:
    'Set or remove custom attribute values of a contact. Only the keys given change; null removes a value. Every key must be defined (list_custom_attributes) and every value must fit its type, or nothing is changed. Returns the contact\'s full attribute map after the change.',
  kind: 'update',
  input: {
    contact_id: contactIdSchema,
    attributes: attributePatchSchema,
    idempotency_key: idempotencyKeySchema,
  },
  output: contactAttributesOut,
  async handler(args, ctx, workspace) {
    const db = ctx.db;
    const contact = await loadContact(ctx, workspace.id, args.contact_id);
    if (Object.keys(args.attributes).length === 0) throw invalidArgument('attributes: give at least one key to set or remove.');
    const values = await resolveAttributePatch(db, workspace.id, args.attributes);
    await applyAttributeValues(db, contact.id, values);
    await db.updateTable('contacts').set({ updated_at: ctx.now().toISOString() }).where('id', '=', contact.id).execute();
    return { contact_id: contact.id, attributes: await contactAttributes(ctx, contact.id) };
  },
});

export const customAttributeTools: AnyTool[] = [listCustomAttributes, getContactCustomAttributes, patchContactCustomAttributes];
