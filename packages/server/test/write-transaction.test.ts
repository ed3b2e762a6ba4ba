import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolError } from '../src/core/errors.js';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId, nowIso } from '../src/ids.js';
import { writeChunks } from '../src/knowledge/tree.js';
import { parseSearchQuery } from '../src/store/search.js';
import { defineTool } from '../src/tools/define.js';
import { executeTool } from '../src/tools/execute.js';
import { idempotencyKeySchema, workspaceIdSchema } from '../src/tools/schemas.js';
import { createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

// Write tools whose handlers search what they just wrote: everything a write runs, search
// included, must go through its transaction.

/** Fails instead of hanging: on SQLite a search outside the transaction waits for its connection forever. */
function settled<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} never returned: it waited for the connection the write's transaction holds`)), 10_000);
  });
  return Promise.race([promise, stuck]).finally(() => clearTimeout(timer));
}

const addArticle = defineTool({
  name: 'add_article_and_search',
  title: 'Add an article and search for it',
  description: 'Test tool: writes a knowledge article, then searches the knowledge base for its word.',
  kind: 'create',
  input: z.object({ workspace_id: workspaceIdSchema, word: z.string(), idempotency_key: idempotencyKeySchema }),
  output: z.object({ found: z.array(z.string()) }),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const id = newId('kn');
    const now = nowIso();
    await ctx.db
      .insertInto('knowledge_nodes')
      .values({ id, workspace_id: workspace.id, parent_id: null, kind: 'article', title: args.word, path: `/${args.word}`, body: args.word, created_at: now, updated_at: now })
      .execute();
    await writeChunks(ctx.db, workspace.id, id, `All about ${args.word}.`);
    const hits = await ctx.search.knowledgeChunks({ workspaceId: workspace.id, query: parseSearchQuery(args.word), maxResults: 5 });
    return { found: hits.map((hit) => hit.node_id) };
  },
});

const sendAndSearch = defineTool({
  name: 'add_message_and_search',
  title: 'Add a message and search for it',
  description: 'Test tool: adds a message to a conversation, searches conversations for its word, and fails when asked to.',
  kind: 'create',
  input: z.object({ workspace_id: workspaceIdSchema, conversation_id: z.string(), word: z.string(), fail: z.boolean().default(false) }),
  output: z.object({ found: z.array(z.string()) }),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    await ctx.db
      .insertInto('messages')
      .values({
        id: newId('msg'), workspace_id: workspace.id, conversation_id: args.conversation_id, direction: 'inbound', author_type: 'contact',
        author_id: null, author_name: null, channel: 'sms', body: `Question about ${args.word}`, subject: null, status: null, sender_id: null,
        created_at: nowIso(),
      })
      .execute();
    const { ranked } = await ctx.search.conversations({ workspaceId: workspace.id, query: parseSearchQuery(args.word), created: {}, limit: 5 });
    if (args.fail) throw new ToolError('conflict', 'rolled back on purpose');
    return { found: ranked.map((row) => row.id) };
  },
});

let t: TestStore;
let acme: Workspace;

let contacts = 0;

async function addConversation(): Promise<string> {
  const now = nowIso();
  const phone = `1555010${contacts++}`;
  const contactId = newId('ct');
  await t.store.db
    .insertInto('contacts')
    .values({
      id: contactId, workspace_id: acme.id, first_name: 'Ada', last_name: null, email: null, email_norm: null, phone: `+${phone}`,
      phone_norm: phone, whatsapp: null, whatsapp_norm: null, name_norm: 'ada', archived: 0, ai_paused: 0, last_channel: null,
      last_message_at: null, last_message_preview: null, created_at: now, updated_at: now,
    })
    .execute();
  const id = newId('cv');
  await t.store.db
    .insertInto('conversations')
    .values({
      id, workspace_id: acme.id, contact_id: contactId, channel: 'sms', status: 'open', assignee_id: null, subject: null, message_count: 0,
      last_message_at: null, last_message_preview: null, created_at: now, updated_at: now,
    })
    .execute();
  return id;
}

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme');
});
afterAll(async () => {
  await t.cleanup();
});

describe('a write tool that searches', () => {
  it('finds what it wrote in the same transaction, and the write commits', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const result = await settled(executeTool(addArticle, { workspace_id: 'acme', word: 'quokka' }, ctx), 'search inside a write');
    expect(result.isError, result.content[0]?.text).toBeUndefined();
    const { found } = result.structuredContent as { found: string[] };
    expect(found).toHaveLength(1);
    const after = await t.store.search.knowledgeChunks({ workspaceId: acme.id, query: parseSearchQuery('quokka'), maxResults: 5 });
    expect(after.map((hit) => hit.node_id)).toEqual(found);
  });

  it('leaves nothing of a rolled-back write in the searches that follow, cached or not', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const doomed = await addConversation();
    const failed = await settled(
      executeTool(sendAndSearch, { workspace_id: 'acme', conversation_id: doomed, word: 'axolotl', fail: true }, ctx),
      'search inside a write',
    );
    expect(failed.content[0]?.text).toBe('conflict: rolled back on purpose');
    // A committed write moves the workspace's search version on, as the rolled-back one did inside
    // its transaction: a ranking the rolled-back write left in a shared cache would now look current.
    const kept = await addConversation();
    const committed = await settled(executeTool(sendAndSearch, { workspace_id: 'acme', conversation_id: kept, word: 'wombat' }, ctx), 'search inside a write');
    expect(committed.structuredContent).toEqual({ found: [kept] });
    expect((await t.store.search.conversations({ workspaceId: acme.id, query: parseSearchQuery('axolotl'), created: {}, limit: 5 })).ranked).toEqual([]);
  });
});
