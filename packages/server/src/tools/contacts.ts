import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { ContactsTable } from '../store/schema.js';
import { defineTool, type ToolContext } from './define.js';
import { invalidArgument, notFound } from './errors.js';
import { afterPosition, decodeCursor, pageSchema, paginationShape, toPage, type CursorScope } from './pagination.js';
import { channelSchema, flag, idSchema, timeFilter, timestampOut, workspaceIdSchema } from './schemas.js';

const contactSummary = z.object({
  id: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  whatsapp: z.string().nullable(),
  archived: z.boolean(),
  last_channel: channelSchema.nullable(),
  last_message_at: z.string().nullable(),
  last_message_preview: z.string().nullable(),
  updated_at: timestampOut,
});

const attributeValue = z.union([z.string(), z.number(), z.boolean()]);

export const contactOut = contactSummary.extend({
  ai_paused: z.boolean(),
  custom_attributes: z.record(z.string(), attributeValue).describe('Custom attribute values by key.'),
  created_at: timestampOut,
});

type ContactRow = Selectable<ContactsTable>;

export function toContactSummary(row: ContactRow): z.input<typeof contactSummary> {
  return {
    id: row.id,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    phone: row.phone,
    whatsapp: row.whatsapp,
    archived: flag(row.archived),
    last_channel: row.last_channel,
    last_message_at: row.last_message_at,
    last_message_preview: row.last_message_preview,
    updated_at: row.updated_at,
  };
}

/** The contact's custom attribute values keyed by attribute key. */
export async function contactAttributes(ctx: ToolContext, contactId: string): Promise<Record<string, string | number | boolean>> {
  const rows = await ctx.store.db
    .selectFrom('contact_attribute_values as v')
    .innerJoin('custom_attributes as a', 'a.id', 'v.attribute_id')
    .select(['a.key', 'v.value'])
    .where('v.contact_id', '=', contactId)
    .orderBy('a.key')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as string | number | boolean]));
}

export async function loadContact(ctx: ToolContext, workspaceId: string, contactId: string): Promise<ContactRow> {
  const row = await ctx.store.db
    .selectFrom('contacts')
    .selectAll()
    .where('id', '=', contactId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) throw notFound('Contact', contactId);
  return row;
}

export async function toContact(ctx: ToolContext, row: ContactRow): Promise<z.input<typeof contactOut>> {
  return {
    ...toContactSummary(row),
    ai_paused: flag(row.ai_paused),
    custom_attributes: await contactAttributes(ctx, row.id),
    created_at: row.created_at,
  };
}

export const listContacts = defineTool({
  name: 'list_contacts',
  title: 'List contacts',
  description:
    'List contacts in a workspace, most recently updated first, optionally filtered by update time and archived state. Returns summaries; use get_contact for custom attributes.',
  kind: 'read',
  input: z.object({
    workspace_id: workspaceIdSchema,
    updated_after: timeFilter('Only contacts updated at or after this time.'),
    updated_before: timeFilter('Only contacts updated before this time.'),
    archived: z.boolean().optional().describe('true: only archived contacts; false: only active ones; omit for both.'),
    ...paginationShape,
  }),
  output: pageSchema(contactSummary),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const scope: CursorScope = { tool: 'list_contacts', workspaceId: workspace.id, filters: args };
    let query = ctx.store.db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspace.id);
    if (args.updated_after) query = query.where('updated_at', '>=', args.updated_after);
    if (args.updated_before) query = query.where('updated_at', '<', args.updated_before);
    if (args.archived !== undefined) query = query.where('archived', '=', args.archived ? 1 : 0);
    if (args.cursor) query = query.where(afterPosition('updated_at', 'seq', 'desc', decodeCursor(ctx.cursorKey, scope, args.cursor)));
    const rows = await query.orderBy('updated_at', 'desc').orderBy('seq', 'desc').limit(args.limit + 1).execute();
    return toPage(rows, args.limit, toContactSummary, {
      key: ctx.cursorKey,
      scope,
      positionOf: (row) => [row.updated_at, row.seq],
    });
  },
});

export const getContact = defineTool({
  name: 'get_contact',
  title: 'Get contact',
  description: 'Get one contact with all its fields, including custom attributes and last message details.',
  kind: 'read',
  input: z.object({ workspace_id: workspaceIdSchema, contact_id: idSchema('ct', 'Contact') }),
  output: contactOut,
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    return toContact(ctx, await loadContact(ctx, workspace.id, args.contact_id));
  },
});

const searchFields = ['any', 'name', 'first_name', 'last_name', 'email', 'phone', 'whatsapp'] as const;

/** Lower-cased text for matching against the `_norm` columns. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Digits only: "+1 (415) 555-0100" and "14155550100" are the same number. */
export function normalizePhone(phone: string): string {
  return phone.replace(/\D/g, '');
}

function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export const searchContacts = defineTool({
  name: 'search_contacts',
  title: 'Search contacts',
  description:
    'Find contacts by name, email, phone or WhatsApp number (case-insensitive substring; phone numbers match whatever their formatting). field restricts where to look (default any).',
  kind: 'read',
  input: z.object({
    workspace_id: workspaceIdSchema,
    query: z.string().trim().min(1).max(200).describe('Text to look for, e.g. "maria", "@example.com", "+1 415 555".'),
    field: z.enum(searchFields).default('any').describe('Which field to search (default any).'),
    ...paginationShape,
  }),
  output: pageSchema(contactSummary),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const scope: CursorScope = { tool: 'search_contacts', workspaceId: workspace.id, filters: args };
    const text = likeContains(args.query.toLowerCase());
    const digits = normalizePhone(args.query);
    const phoneLike = digits.length >= 3 ? likeContains(digits) : null;
    const esc = sql.raw(`ESCAPE '\\'`);
    const conditions: Record<(typeof searchFields)[number], ReturnType<typeof sql<boolean>>[]> = {
      any: [],
      name: [sql<boolean>`name_norm LIKE ${text} ${esc}`],
      first_name: [sql<boolean>`lower(first_name) LIKE ${text} ${esc}`],
      last_name: [sql<boolean>`lower(last_name) LIKE ${text} ${esc}`],
      email: [sql<boolean>`email_norm LIKE ${text} ${esc}`],
      phone: phoneLike ? [sql<boolean>`phone_norm LIKE ${phoneLike} ${esc}`] : [],
      whatsapp: phoneLike ? [sql<boolean>`whatsapp_norm LIKE ${phoneLike} ${esc}`] : [],
    };
    conditions.any = [...conditions.name, ...conditions.email, ...conditions.phone, ...conditions.whatsapp];
    const chosen = conditions[args.field];
    if (chosen.length === 0) {
      throw invalidArgument(`query must contain at least 3 digits to search the ${args.field} field.`);
    }
    let query = ctx.store.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspace.id)
      .where(sql<boolean>`(${sql.join(chosen, sql` OR `)})`);
    if (args.cursor) query = query.where(afterPosition('updated_at', 'seq', 'desc', decodeCursor(ctx.cursorKey, scope, args.cursor)));
    const rows = await query.orderBy('updated_at', 'desc').orderBy('seq', 'desc').limit(args.limit + 1).execute();
    return toPage(rows, args.limit, toContactSummary, {
      key: ctx.cursorKey,
      scope,
      positionOf: (row) => [row.updated_at, row.seq],
    });
  },
});

export const contactTools = [listContacts, getContact, searchContacts];
