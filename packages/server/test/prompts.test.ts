import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId, nowIso } from '../src/ids.js';
import { complete } from '../src/mcp/completions.js';
import { InvalidParamsError, type PromptContext } from '../src/mcp/prompt-arguments.js';
import { createPromptCatalog } from '../src/mcp/prompts.js';
import { createTestStore, createWorkspace, credentialFor, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let acmeNorth: Workspace;
let other: Workspace;
let conversationId: string;
let otherConversationId: string;

const prompts = createPromptCatalog();
const NOW = new Date('2026-12-06T17:20:42.123Z');

/** A credential granted acme-hotels and acme-north only: never `other`. */
function ctx(workspaces: () => Workspace[] = () => [acme, acmeNorth]): PromptContext {
  return { credential: credentialFor(workspaces()), db: t.store.db, now: () => NOW };
}

async function text(name: string, args: Record<string, unknown>, context = ctx()): Promise<string> {
  const result = await prompts.get({ name, arguments: args }, context);
  expect(result.messages).toHaveLength(1);
  expect(result.messages[0]?.role).toBe('user');
  return result.messages[0]?.content.text ?? '';
}

async function getError(params: unknown, context = ctx()): Promise<string> {
  const error = await prompts.get(params, context).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidParamsError);
  return (error as Error).message;
}

async function values(prompt: string, argument: string, value: string, context = ctx()): Promise<string[]> {
  return (await complete({ ref: { type: 'ref/prompt', name: prompt }, argument: { name: argument, value } }, prompts, context)).completion.values;
}

async function insertConversation(workspace: Workspace): Promise<string> {
  const contactId = newId('ct');
  const id = newId('cv');
  const now = nowIso();
  await t.store.db.insertInto('contacts').values({ id: contactId, workspace_id: workspace.id, first_name: 'Ada', last_name: 'Byron', email: null, email_norm: null, phone: '+1 555 0100', phone_norm: '15550100', whatsapp: null, whatsapp_norm: null, name_norm: 'ada byron', archived: 0, ai_paused: 0, last_channel: null, last_message_at: null, last_message_preview: null, created_at: now, updated_at: now }).execute();
  await t.store.db.insertInto('conversations').values({ id, workspace_id: workspace.id, contact_id: contactId, channel: 'sms', status: 'open', assignee_id: null, subject: null, message_count: 0, last_message_at: null, last_message_preview: null, created_at: now, updated_at: now }).execute();
  return id;
}

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels', 'Acme Hotels');
  acmeNorth = await createWorkspace(t.store, 'acme-north', 'Northern Lodges');
  other = await createWorkspace(t.store, 'acme-other', 'Acme Other Hotels');
  conversationId = await insertConversation(acme);
  otherConversationId = await insertConversation(other);
});
afterAll(() => t.cleanup());

describe('prompts/list', () => {
  it('lists the product page examples as prompts, workspace first, with titles and descriptions a host can show', () => {
    expect(prompts.listed.map((p) => p.name)).toEqual(['use_workspace', 'triage_tickets', 'find_conversations', 'draft_reply', 'find_knowledge_mentions']);
    for (const prompt of prompts.listed) {
      expect(prompt.name).toMatch(/^[a-z]+(_[a-z]+)+$/);
      expect(prompt.title.length, prompt.name).toBeGreaterThan(5);
      expect(prompt.description.length, prompt.name).toBeGreaterThan(40);
      expect(prompt.arguments[0]).toMatchObject({ name: 'workspace', title: 'Workspace', required: true });
      // Hosts that take arguments positionally (Claude Code) need the required ones first.
      const firstOptional = prompt.arguments.findIndex((a) => !a.required);
      if (firstOptional >= 0) expect(prompt.arguments.slice(firstOptional).every((a) => !a.required), prompt.name).toBe(true);
    }
    expect(prompts.listed.find((p) => p.name === 'find_conversations')?.arguments).toEqual([
      { name: 'workspace', title: 'Workspace', description: expect.stringContaining('acme-hotels') as string, required: true },
      { name: 'phrase', title: 'Phrase', description: expect.stringContaining('double+charge') as string, required: true },
      { name: 'window', title: 'Time window', description: 'How far back to look: 24h, 48h, 7d, 14d, 30d, 90d. Default: 7d.', required: false },
    ]);
  });
});

describe('prompts/get', () => {
  it('triage_tickets: the product page text, the window as a timestamp and the calls to make', async () => {
    expect(await text('triage_tickets', { workspace: 'acme-hotels' })).toBe(
      'For the "acme-hotels" workspace, list every open helpdesk ticket touched in the last 24 hours, group them by inferred topic, ' +
        'and tell me the three most urgent ones with the customer name and a one-line summary.\n\n' +
        'Use list_tickets with workspace_id "acme-hotels", status "open" and updated_after "2026-12-05T17:20:00Z", following next_cursor while has_more is true; ' +
        'use get_ticket and list_ticket_messages where a ticket needs more context. Only read: do not reply to or change any ticket.',
    );
    expect(await text('triage_tickets', { workspace: 'acme-hotels', window: '7d' })).toContain('touched in the last 7 days');
    expect(await text('triage_tickets', { workspace: 'acme-hotels', window: ' 48H ' })).toContain('updated_after "2026-12-04T17:20:00Z"');
  });

  it('find_conversations: the phrase quoted for an exact search, + standing for spaces, a 7-day default', async () => {
    const found = await text('find_conversations', { workspace: 'acme-hotels', phrase: 'double+charge' });
    expect(found).toContain('where the contact mentioned "double charge" in the last 7 days');
    expect(found).toContain('query "\\"double charge\\"" (the exact phrase) and created_after "2026-11-29T17:20:00Z"');
    expect(await text('find_conversations', { workspace: 'acme-hotels', phrase: '"double charge"', window: '30d' })).toContain('mentioned "double charge" in the last 30 days');
    expect(await text('find_conversations', { workspace: 'acme-hotels', phrase: 'C++ ' })).toContain('mentioned "C++"');
  });

  it('draft_reply: checks the conversation is in the workspace; never asks to send', async () => {
    const draft = await text('draft_reply', { workspace: 'acme-hotels', conversation_id: conversationId, topic: 'refund' });
    expect(draft).toContain(`Pull conversation ${conversationId} on the "acme-hotels" workspace. Read the last twenty messages.`);
    expect(draft).toContain('addresses the refund question, matches the tone of our previous responses, and cites our refund policy from the knowledge base. Don\'t send it — just print it.');
    expect(draft).toContain('Do not call send_conversation_message.');
    expect(await text('draft_reply', { workspace: 'acme-hotels', conversation_id: conversationId, topic: '' })).toContain('addresses the customer\'s latest question');
    expect(await getError({ name: 'draft_reply', arguments: { workspace: 'acme-hotels', conversation_id: otherConversationId } })).toBe(
      `Invalid argument "conversation_id" of prompt draft_reply: ${otherConversationId} was not found in the acme-hotels workspace`,
    );
    expect(await getError({ name: 'draft_reply', arguments: { workspace: 'acme-hotels', conversation_id: 'ct_123' } })).toBe(
      'Invalid argument "conversation_id" of prompt draft_reply: "ct_123" is not a conversation id (cv_…)',
    );
  });

  it('use_workspace and find_knowledge_mentions resolve the workspace by slug or id, in any case', async () => {
    expect(await text('use_workspace', { workspace: acme.id })).toContain('Operate on the "acme-hotels" workspace (Acme Hotels) for the rest of this conversation');
    const mentions = await text('find_knowledge_mentions', { workspace: 'ACME-HOTELS', phrase: '48 hours' });
    expect(mentions).toContain('Search the knowledge base of the "acme-hotels" workspace for any node that mentions "48 hours".');
    expect(mentions).toContain('Use search_knowledge_nodes with workspace_id "acme-hotels", query "48 hours" and match "phrase"');
  });

  it('answers a clear invalid-params error for an unknown prompt, a missing, unknown or bad argument', async () => {
    expect(await getError({ name: 'no_such_prompt' })).toBe(
      'Unknown prompt: no_such_prompt. prompts/list names the prompts: use_workspace, triage_tickets, find_conversations, draft_reply, find_knowledge_mentions',
    );
    expect(await getError({ name: 'triage_tickets' })).toMatch(/^Missing required argument "workspace" of prompt triage_tickets: Workspace slug/);
    expect(await getError({ name: 'find_conversations', arguments: { workspace: 'acme-hotels', phrase: '   ' } })).toMatch(/^Missing required argument "phrase"/);
    expect(await getError({ name: 'triage_tickets', arguments: { workspace: 'acme-hotels', window: 'week' } })).toBe(
      'Invalid argument "window" of prompt triage_tickets: "week" is not one of 24h, 48h, 7d, 14d, 30d, 90d',
    );
    expect(await getError({ name: 'triage_tickets', arguments: { workspace: 'acme-hotels', since: '24h' } })).toBe(
      'Prompt triage_tickets has no argument "since"; it takes: workspace, window',
    );
    expect(await getError({ name: 'triage_tickets', arguments: { workspace: 'acme-hotels', constructor: 'x' } })).toMatch(/has no argument "constructor"/);
    expect(await getError({ name: 'triage_tickets', arguments: { workspace: 7 } })).toBe('Argument "workspace" of prompt triage_tickets must be a string');
    expect(await getError({ name: 'find_knowledge_mentions', arguments: { workspace: 'acme-hotels', phrase: 'a\nb' } })).toMatch(/one line of text/);
    expect(await getError({ name: 'find_knowledge_mentions', arguments: { workspace: 'acme-hotels', phrase: 'say "hi" now' } })).toMatch(/must not contain double quotes/);
    expect(await getError({ arguments: {} })).toMatch(/^prompts\/get needs params.name/);
  });

  it('refuses a workspace the credential was not granted, naming only its own', async () => {
    for (const workspace of ['acme-other', other.id, 'nowhere']) {
      expect(await getError({ name: 'use_workspace', arguments: { workspace } })).toBe(
        `Invalid argument "workspace" of prompt use_workspace: "${workspace}" is not a workspace this credential can use; it can use: acme-hotels, acme-north`,
      );
    }
    expect(await getError({ name: 'use_workspace', arguments: { workspace: 'acme-hotels' } }, ctx(() => []))).toMatch(/not scoped to any workspace/);
  });
});

describe('completion/complete', () => {
  it('offers the caller\'s own workspaces matching what was typed, never another', async () => {
    expect(await values('triage_tickets', 'workspace', '')).toEqual(['acme-hotels', 'acme-north']);
    expect(await values('triage_tickets', 'workspace', 'acme')).toEqual(['acme-hotels', 'acme-north']);
    expect(await values('triage_tickets', 'workspace', 'ACME-N')).toEqual(['acme-north']);
    // A word of the name, then the text anywhere: acme-other matches both and is still never offered.
    expect(await values('triage_tickets', 'workspace', 'lodges')).toEqual(['acme-north']);
    expect(await values('triage_tickets', 'workspace', 'hotel')).toEqual(['acme-hotels']);
    expect(await values('triage_tickets', 'workspace', 'other')).toEqual([]);
    expect(await values('triage_tickets', 'workspace', acme.id.slice(0, 6))).toEqual(expect.arrayContaining(['acme-hotels']));
    const onlyOther = () => [other];
    expect(await values('use_workspace', 'workspace', 'acme', ctx(onlyOther))).toEqual(['acme-other']);
    expect(await values('use_workspace', 'workspace', '', ctx(() => []))).toEqual([]);
  });

  it('completes the time window from its choices and free text with nothing; total and hasMore', async () => {
    expect(await complete({ ref: { type: 'ref/prompt', name: 'find_conversations' }, argument: { name: 'window', value: '' } }, prompts, ctx())).toEqual({
      completion: { values: ['24h', '48h', '7d', '14d', '30d', '90d'], total: 6, hasMore: false },
    });
    expect(await values('find_conversations', 'window', '4')).toEqual(['48h']);
    expect(await complete({ ref: { type: 'ref/prompt', name: 'find_conversations' }, argument: { name: 'phrase', value: 'dou' } }, prompts, ctx())).toEqual({
      completion: { values: [], total: 0, hasMore: false },
    });
  });

  it('answers invalid params for an unknown prompt or argument, a resource reference or a malformed request', async () => {
    const failure = (params: unknown) =>
      complete(params, prompts, ctx()).then(
        () => null,
        (e: unknown) => (e instanceof InvalidParamsError ? e.message : e),
      );
    expect(await failure({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'test' } })).toMatch(/^Unknown prompt: test_prompt_with_arguments/);
    expect(await failure({ ref: { type: 'ref/prompt', name: 'triage_tickets' }, argument: { name: 'topic', value: '' } })).toBe(
      'Prompt triage_tickets has no argument "topic"; it takes: workspace, window',
    );
    expect(await failure({ ref: { type: 'ref/resource', uri: 'file:///{path}' }, argument: { name: 'path', value: '' } })).toMatch(/no resource templates/);
    expect(await failure({ ref: { type: 'ref/prompt', name: 'triage_tickets' } })).toMatch(/^completion\/complete needs/);
    expect(await failure({ ref: { type: 'ref/prompt', name: 'triage_tickets' }, argument: { name: 'workspace', value: 'x'.repeat(201) } })).toMatch(/at most 200/);
  });
});
