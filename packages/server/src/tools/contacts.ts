import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { invalidArgument, notFound } from '../core/errors.js';
import { normalizePhone } from '../core/normalize.js';
import { newId } from '../ids.js';
import { contactAddress, outboundAuthor } from '../messaging/delivery.js';
import { appendOutboundMessage, findOrOpenConversation } from '../messaging/outbound.js';
import type { ContactsTable } from '../store/schema.js';
import { prepared } from '../store/prepared.js';
import { applyAttributeValues, attributePatchSchema, resolveAttributePatch } from './attribute-values.js';
import {
  assertUniqueAddresses,
  contactNorms,
  emailSchema,
  nameSchema,
  phoneSchema,
  requireAnAddress,
} from './contact-fields.js';
import { sendConversationMessage, toMessage } from './conversations.js';
import { defineWorkspaceTool, type ToolContext } from './define.js';
import { narrow } from './list-filters.js';
import { defineListTool } from './list-tool.js';
import { channelSchema, flag, idempotencyKeySchema, idSchema, messageBodySchema, singleLine, timeFilter, timestampOut } from './schemas.js';

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
  return { ...row, archived: flag(row.archived) };
}

/** The contact's custom attribute values keyed by attribute key. */
// Prepared: get_contact and every contact write run these.
const attributesOf = prepared((db, v: { contactId: string }) =>
  db
    .selectFrom('contact_attribute_values as v')
    .innerJoin('custom_attributes as a', 'a.id', 'v.attribute_id')
    .select(['a.key', 'v.value'])
    .where('v.contact_id', '=', v.contactId)
    .orderBy('a.key'),
);

/** Every column of contacts, listed: a prepared query may not select `*` (see prepared.ts). */
const CONTACT_COLUMNS = [
  'seq', 'id', 'workspace_id', 'first_name', 'last_name', 'email', 'email_norm', 'phone', 'phone_norm', 'whatsapp',
  'whatsapp_norm', 'name_norm', 'archived', 'ai_paused', 'last_channel', 'last_message_at', 'last_message_preview',
  'created_at', 'updated_at',
] as const satisfies ReadonlyArray<keyof ContactsTable>;

const contactById = prepared((db, v: { workspaceId: string; contactId: string }) =>
  db.selectFrom('contacts').select(CONTACT_COLUMNS).where('id', '=', v.contactId).where('workspace_id', '=', v.workspaceId),
);

/** The contact with its attribute values in one query: one row per value (one row without any). */
const contactWithAttributes = prepared((db, v: { workspaceId: string; contactId: string }) =>
  db
    .selectFrom('contacts as c')
    .leftJoin('contact_attribute_values as v', 'v.contact_id', 'c.id')
    .leftJoin('custom_attributes as a', 'a.id', 'v.attribute_id')
    .select(CONTACT_COLUMNS.map((column) => `c.${column}` as const))
    .select(['a.key as attribute_key', 'v.value as attribute_value'])
    .where('c.id', '=', v.contactId)
    .where('c.workspace_id', '=', v.workspaceId)
    .orderBy('a.key'),
);

type AttributeValue = string | number | boolean;

function attributeMap(rows: ReadonlyArray<{ key: string | null; value: string | null }>): Record<string, AttributeValue> {
  return Object.fromEntries(rows.flatMap(({ key, value }) => (key === null || value === null ? [] : [[key, JSON.parse(value) as AttributeValue]])));
}

export async function contactAttributes(ctx: ToolContext, contactId: string): Promise<Record<string, AttributeValue>> {
  const { rows } = await attributesOf(ctx.db, { contactId });
  return attributeMap(rows);
}

export async function loadContact(ctx: ToolContext, workspaceId: string, contactId: string): Promise<ContactRow> {
  const [row] = (await contactById(ctx.db, { workspaceId, contactId })).rows;
  if (!row) throw notFound('Contact', contactId);
  return row;
}

/** The contact as get_contact shows it, custom attributes included (one query: it runs on every get_contact). */
export async function loadFullContact(ctx: ToolContext, workspaceId: string, contactId: string): Promise<z.input<typeof contactOut>> {
  const { rows } = await contactWithAttributes(ctx.db, { workspaceId, contactId });
  const row = rows[0];
  if (!row) throw notFound('Contact', contactId);
  return {
    ...toContactSummary(row),
    ai_paused: flag(row.ai_paused),
    custom_attributes: attributeMap(rows.map((r) => ({ key: r.attribute_key, value: r.attribute_value }))),
    created_at: row.created_at,
  };
}

/** Contact lists and searches show the most recently updated first. */
const RECENTLY_UPDATED = { column: 'updated_at', direction: 'desc' } as const;

export const listContacts = defineListTool({
  name: 'list_contacts',
  title: 'List contacts',
  description:
    'List contacts in a workspace, most recently updated first, optionally filtered by update time and archived state. Returns summaries; use get_contact for custom attributes.',
  filters: {
    updated_after: timeFilter('Only contacts updated at or after this time.'),
    updated_before: timeFilter('Only contacts updated before this time.'),
    archived: z.boolean().optional().describe('true: only archived contacts; false: only active ones; omit for both.'),
  },
  item: contactSummary,
  rows: (args, ctx, workspace) =>
    narrow(ctx.db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspace.id), {
      equal: { archived: args.archived === undefined ? undefined : args.archived ? 1 : 0 },
      between: { column: 'updated_at', after: args.updated_after, before: args.updated_before },
    }),
  order: RECENTLY_UPDATED,
  toItem: toContactSummary,
});

export const getContact = defineWorkspaceTool({
  name: 'get_contact',
  title: 'Get contact',
  description: 'Get one contact with all its fields, including custom attributes and last message details.',
  kind: 'read',
  input: { contact_id: idSchema('ct', 'Contact') },
  output: contactOut,
  async handler(args, ctx, workspace) {
    return loadFullContact(ctx, workspace.id, args.contact_id);
  },
});

const searchFields = ['any', 'name', 'first_name', 'last_name', 'email', 'phone', 'whatsapp'] as const;

function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export const searchContacts = defineListTool({
  name: 'search_contacts',
  title: 'Search contacts',
  description:
    'Find contacts by name, email, phone or WhatsApp number (case-insensitive substring; phone numbers match whatever their formatting). field restricts where to look (default any).',
  filters: {
    query: z.string().trim().min(1).max(200).describe('Text to look for, e.g. "maria", "@example.com", "+1 415 555".'),
    field: z.enum(searchFields).default('any').describe('Which field to search (default any).'),
  },
  item: contactSummary,
  rows(args, ctx, workspace) {
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
    return ctx.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspace.id)
      .where(sql<boolean>`(${sql.join(chosen, sql` OR `)})`);
  },
  order: RECENTLY_UPDATED,
  toItem: toContactSummary,
});

const contactIdSchema = idSchema('ct', 'Contact');

export const createContact = defineWorkspaceTool({
  name: 'create_contact',
  title: 'Create contact',
  description:
    'Create a contact. At least one of email, phone or whatsapp is required. Email (case-insensitive) and phone (whatever the formatting) are unique per workspace: a taken one is a conflict naming the existing contact. custom_attributes must use defined keys and types (list_custom_attributes).',
  kind: 'create',
  input: {
    first_name: nameSchema.optional(),
    last_name: nameSchema.optional(),
    email: emailSchema.optional().describe('Email address; unique per workspace, case-insensitively.'),
    phone: phoneSchema().optional().describe('Phone number for SMS and calls, ideally E.164 ("+14155550100").'),
    whatsapp: phoneSchema().optional().describe('WhatsApp number, ideally E.164.'),
    custom_attributes: attributePatchSchema.optional(),
    idempotency_key: idempotencyKeySchema,
  },
  output: contactOut,
  async handler(args, ctx, workspace) {
    const db = ctx.db;
    const fields = {
      first_name: args.first_name ?? null,
      last_name: args.last_name ?? null,
      email: args.email ?? null,
      phone: args.phone ?? null,
      whatsapp: args.whatsapp ?? null,
    };
    requireAnAddress(fields);
    const norms = contactNorms(fields);
    await assertUniqueAddresses(db, workspace.id, norms);
    const attributes = await resolveAttributePatch(db, workspace.id, args.custom_attributes ?? {});
    const now = ctx.now().toISOString();
    const id = newId('ct');
    await db
      .insertInto('contacts')
      .values({
        id,
        workspace_id: workspace.id,
        ...fields,
        ...norms,
        archived: 0,
        ai_paused: 0,
        last_channel: null,
        last_message_at: null,
        last_message_preview: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await applyAttributeValues(db, id, attributes);
    return loadFullContact(ctx, workspace.id, id);
  },
});

const patchableFields = ['first_name', 'last_name', 'email', 'phone', 'whatsapp', 'archived', 'ai_paused'] as const;

export const patchContact = defineWorkspaceTool({
  name: 'patch_contact',
  title: 'Patch contact',
  description:
    'Change some fields of a contact; fields not given stay as they are, null clears a name or address. The contact must keep at least one of email, phone or whatsapp, and email and phone stay unique per workspace. archived hides the contact from active lists; ai_paused stops AI agents from replying to them. Custom attributes: patch_contact_custom_attributes.',
  kind: 'update',
  input: {
    contact_id: contactIdSchema,
    first_name: nameSchema.nullable().optional().describe('New first name; null clears it.'),
    last_name: nameSchema.nullable().optional().describe('New last name; null clears it.'),
    email: emailSchema.nullable().optional().describe('New email address; null clears it.'),
    phone: phoneSchema().nullable().optional().describe('New phone number; null clears it.'),
    whatsapp: phoneSchema().nullable().optional().describe('New WhatsApp number; null clears it.'),
    archived: z.boolean().optional().describe('true archives the contact, false restores it.'),
    ai_paused: z.boolean().optional().describe('true stops AI agents from replying to this contact.'),
    idempotency_key: idempotencyKeySchema,
  },
  output: contactOut,
  async handler(args, ctx, workspace) {
    const db = ctx.db;
    if (patchableFields.every((field) => args[field] === undefined)) {
      throw invalidArgument(`give at least one field to change: ${patchableFields.join(', ')}.`);
    }
    const contact = await loadContact(ctx, workspace.id, args.contact_id);
    const pick = <K extends 'first_name' | 'last_name' | 'email' | 'phone' | 'whatsapp'>(field: K) =>
      args[field] === undefined ? contact[field] : args[field];
    const fields = {
      first_name: pick('first_name'),
      last_name: pick('last_name'),
      email: pick('email'),
      phone: pick('phone'),
      whatsapp: pick('whatsapp'),
    };
    requireAnAddress(fields);
    const norms = contactNorms(fields);
    await assertUniqueAddresses(db, workspace.id, norms, contact.id);
    await db
      .updateTable('contacts')
      .set({
        ...fields,
        ...norms,
        ...(args.archived === undefined ? {} : { archived: args.archived ? 1 : 0 }),
        ...(args.ai_paused === undefined ? {} : { ai_paused: args.ai_paused ? 1 : 0 }),
        updated_at: ctx.now().toISOString(),
      })
      .where('id', '=', contact.id)
      .execute();
    return loadFullContact(ctx, workspace.id, contact.id);
  },
});

export const sendContactMessage = defineWorkspaceTool({
  name: 'send_contact_message',
  title: 'Send contact message',
  description:
    'Send a message to a contact on a channel (sms, email, whatsapp or webchat). This reaches a real person and cannot be undone: only send what the user approved, and pass an idempotency_key (a UUID per logical send) so a retry never sends twice. The message goes into the contact\'s current (not closed) conversation on that channel, or a new one is opened; it is stored at once with status "queued" and returned, delivery happens right after. The contact needs an address for the channel (email, phone for sms, whatsapp). subject is for email only. sender_id picks the identity to send from (list_workspace_senders); default: the channel\'s default sender.',
  kind: 'send',
  input: {
    contact_id: contactIdSchema,
    channel: channelSchema.describe('The channel to reach the contact on.'),
    body: messageBodySchema,
    sender_id: idSchema('sd', 'Sender').optional().describe('Sender identity (sd_…) on that channel; default: the channel\'s default sender.'),
    subject: singleLine(z.string().trim().min(1).max(300)).optional().describe('Email subject (email only). A new email conversation takes it as its subject.'),
    idempotency_key: idempotencyKeySchema,
  },
  output: sendConversationMessage.output,
  async handler(args, ctx, workspace) {
    const db = ctx.db;
    if (args.subject !== undefined && args.channel !== 'email') {
      throw invalidArgument(`subject is only used on the email channel, not on ${args.channel}.`);
    }
    const contact = await loadContact(ctx, workspace.id, args.contact_id);
    // Refuse a contact without an address on the channel before a conversation is opened for it.
    contactAddress(contact, args.channel);
    const now = ctx.now().toISOString();
    const conversation = await findOrOpenConversation(db, workspace.id, contact, args.channel, { now, subject: args.subject });
    const result = await appendOutboundMessage(db, {
      workspaceId: workspace.id,
      conversation,
      body: args.body,
      subject: args.subject,
      senderId: args.sender_id,
      author: await outboundAuthor(db, ctx.credential),
      now,
    });
    return {
      ...toMessage(result.message),
      conversation_id: conversation.id,
      conversation_status: result.conversationStatus,
      sender: { id: result.sender.id, address: result.sender.address, display_name: result.sender.display_name },
    };
  },
});

export const contactTools = [listContacts, getContact, searchContacts, createContact, patchContact, sendContactMessage];
