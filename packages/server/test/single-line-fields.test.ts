import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

/**
 * Text that ends up in a header or a single-line display — an email subject, a name, a title, a
 * one-line description, a phone number — must be one line: a line break there is a header
 * injection (`Hello\r\nBcc: …` in a subject reaches the delivery webhook and the mail system
 * behind it) or a forged line in a list or log.
 */

let t: TestStore;
let server: ConduitServer;
let token: string;
const ids: Record<string, string> = {};

async function callTool(name: string, args: Record<string, unknown>): Promise<{ isError?: boolean; content: Array<{ text: string }>; structuredContent?: Record<string, unknown> }> {
  const res = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { workspace_id: 'acme', ...args } } }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: never }).result;
}

async function created(name: string, args: Record<string, unknown>): Promise<string> {
  const result = await callTool(name, args);
  if (result.isError) throw new Error(result.content[0]!.text);
  return String(result.structuredContent!.id);
}

beforeAll(async () => {
  t = await createTestStore();
  const acme = await createWorkspace(t.store, 'acme');
  await t.store.db.insertInto('senders').values({ id: 'sd_email1', workspace_id: acme.id, channel: 'email', address: 'help@acme.example', display_name: 'Acme', is_default: 1, created_at: new Date().toISOString() }).execute();
  token = (await createApiToken(t.store, { name: 't', access: 'read_write', workspaceIds: [acme.id], expiresAt: null })).token;
  server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, rateLimit: false });
  ids.contact = await created('create_contact', { first_name: 'Maria', email: 'maria@example.com' });
  ids.agent = await created('create_agent', { name: 'Front desk', instructions: 'Help guests.' });
  ids.skill = await created('create_skill', { name: 'Refunds', body: 'Explain the refund policy.' });
  ids.node = await created('create_knowledge_node', { title: 'Policies', kind: 'folder' });
});
afterAll(async () => {
  await server?.close();
  await t?.cleanup();
});

const BREAKS = ['\r\n', '\n', '\r', '\t', '\u0000', '\u001b', '\u0085', '\u2028'];

const fields: Array<{ tool: string; field: string; args: () => Record<string, unknown>; value: (bad: string) => unknown }> = [
  { tool: 'send_contact_message', field: 'subject', args: () => ({ contact_id: ids.contact, channel: 'email', body: 'Hello' }), value: (b) => `Hello${b}Bcc: attacker@evil.example` },
  { tool: 'create_contact', field: 'first_name', args: () => ({ email: 'eve@example.com' }), value: (b) => `Eve${b}Admin` },
  { tool: 'create_contact', field: 'last_name', args: () => ({ email: 'eve@example.com' }), value: (b) => `Adams${b}x` },
  { tool: 'patch_contact', field: 'first_name', args: () => ({ contact_id: ids.contact }), value: (b) => `Maria${b}x` },
  { tool: 'patch_contact', field: 'email', args: () => ({ contact_id: ids.contact }), value: (b) => `maria@example.com${b}Bcc: x@evil.example` },
  { tool: 'patch_contact', field: 'phone', args: () => ({ contact_id: ids.contact }), value: (b) => `+1 415${b}555 0100` },
  { tool: 'patch_contact', field: 'whatsapp', args: () => ({ contact_id: ids.contact }), value: (b) => `+1 415${b}555 0100` },
  { tool: 'create_agent', field: 'name', args: () => ({ instructions: 'x' }), value: (b) => `Agent${b}2` },
  { tool: 'patch_agent', field: 'description', args: () => ({ agent_id: ids.agent }), value: (b) => `One${b}two` },
  { tool: 'create_skill', field: 'name', args: () => ({ body: 'x' }), value: (b) => `Skill${b}2` },
  { tool: 'patch_skill', field: 'description', args: () => ({ skill_id: ids.skill }), value: (b) => `One${b}two` },
  { tool: 'patch_skill', field: 'tags', args: () => ({ skill_id: ids.skill }), value: (b) => ['ok', `bad${b}tag`] },
  { tool: 'create_knowledge_node', field: 'title', args: () => ({ kind: 'folder' }), value: (b) => `Folder${b}2` },
  { tool: 'update_knowledge_node', field: 'title', args: () => ({ node_id: ids.node }), value: (b) => `Policies${b}2` },
];

describe('single-line text fields', () => {
  it('refuse line breaks and other control characters with invalid_argument naming the field, and change nothing', async () => {
    const before = await t.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    for (const { tool, field, args, value } of fields) {
      for (const bad of BREAKS) {
        const result = await callTool(tool, { ...args(), [field]: value(bad) });
        const what = `${tool} ${field} ${JSON.stringify(bad)}`;
        expect(result.isError, what).toBe(true);
        const text = result.content[0]!.text;
        expect(text, what).toMatch(/^invalid_argument: /);
        // NUL is refused before the schema (PostgreSQL cannot store it), with its own message.
        expect(text, what).toMatch(bad === '\u0000' ? new RegExp(`${field}(\\.1)?: text must not contain the NUL`) : new RegExp(`${field}(\\.1)?: must be one line of text`));
      }
    }
    const after = await t.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(await t.store.db.selectFrom('contacts').select('id').where('email', '=', 'eve@example.com').execute()).toEqual([]);
  });

  it('still accept ordinary text, and line breaks where text is many lines (a message body)', async () => {
    const sent = await callTool('send_contact_message', { contact_id: ids.contact, channel: 'email', subject: 'Your stay – 3 nights, “Deluxe” room 🌴', body: 'Hello Maria,\r\n\r\nSee you soon.\n— Acme' });
    expect(sent.isError, sent.content[0]!.text).toBeFalsy();
    const renamed = await callTool('patch_contact', { contact_id: ids.contact, first_name: 'María José', phone: '+1 (415) 555-0100' });
    expect(renamed.isError, renamed.content[0]!.text).toBeFalsy();
    // Surrounding whitespace, line breaks included, is trimmed as before: what is stored is one line.
    const trimmed = await callTool('patch_contact', { contact_id: ids.contact, last_name: 'García\r\n' });
    expect(trimmed.isError, trimmed.content[0]!.text).toBeFalsy();
    expect(trimmed.structuredContent!.last_name).toBe('García');
  });
});
