import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI, callOk, connectStdio, hostEnv, type BridgeSession } from './bridge-helpers.js';
import { createToken } from './write-helpers.js';

/**
 * The prompts of a real `serve --demo` process through the MCP SDK client, over HTTP and through
 * the stdio bridge; and each prompt's instructions followed to the letter: the tool calls it names,
 * with the arguments it gives, work on the demo data.
 */

let server: ServerProcess;
/** Granted acme-hotels only (the demo token has northwind-clinic too). */
let acmeToken: string;
const clients: { close(): Promise<void> }[] = [];

type Page<T> = { data: T[]; next_cursor: string | null; has_more: boolean };

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'prompts-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

async function promptText(client: Client, name: string, args: Record<string, string>): Promise<string> {
  const { messages } = await client.getPrompt({ name, arguments: args });
  expect(messages).toHaveLength(1);
  const content = messages[0]!.content;
  if (content.type !== 'text') throw new Error(`${name}: expected text, got ${content.type}`);
  return content.text;
}

/** `<name> "<value>"` as the prompt text writes a tool argument. */
function argument(text: string, name: string): string {
  const match = new RegExp(`${name} ("(?:[^"\\\\]|\\\\.)*")`).exec(text);
  if (!match) throw new Error(`no ${name} in: ${text}`);
  return JSON.parse(match[1]!) as string;
}

async function workspacesOffered(client: Client, prompt: string, value: string): Promise<string[]> {
  return (await client.complete({ ref: { type: 'ref/prompt', name: prompt }, argument: { name: 'workspace', value } })).completion.values;
}

beforeAll(async () => {
  server = await startServer({ demo: true });
  acmeToken = await createToken(server.dataDir, 'read_only', ['acme-hotels']);
}, 120_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  await server?.stop();
  server?.cleanup();
});

describe('prompts from the SDK client, against the server process', () => {
  it('lists the prompts with their icons; the server declares prompts and completions', async () => {
    const client = await connect(acmeToken);
    expect(client.getServerCapabilities()).toMatchObject({ prompts: { listChanged: false }, completions: {} });
    expect(client.getServerVersion()?.icons?.map((icon) => icon.mimeType)).toEqual(['image/svg+xml', 'image/png']);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => [p.name, p.arguments?.map((a) => `${a.name}${a.required ? '' : '?'}`).join(' ')])).toEqual([
      ['use_workspace', 'workspace'],
      ['triage_tickets', 'workspace window?'],
      ['find_conversations', 'workspace phrase window?'],
      ['draft_reply', 'workspace conversation_id topic?'],
      ['find_knowledge_mentions', 'workspace phrase'],
    ]);
    for (const prompt of prompts) expect(prompt.icons?.[0]?.src, prompt.name).toMatch(/^data:image\/png;base64,/);
  });

  it('triage_tickets: the calls it names find the open tickets of the window', async () => {
    const client = await connect(acmeToken);
    const text = await promptText(client, 'triage_tickets', { workspace: 'acme-hotels', window: '24h' });
    expect(text).toContain('touched in the last 24 hours');
    const since = argument(text, 'updated_after');
    expect(Math.abs(Date.parse(since) - (Date.now() - 24 * 3600_000))).toBeLessThan(5 * 60_000);
    const tickets = await callOk<Page<{ status: string }>>(client, 'list_tickets', { workspace_id: argument(text, 'workspace_id'), status: argument(text, 'status'), updated_after: since });
    expect(tickets.data.length).toBeGreaterThan(0);
    expect(tickets.data.every((ticket) => ['new', 'pending'].includes(ticket.status))).toBe(true);
  });

  it('find_conversations and draft_reply: the search it names finds "double charge", and the draft prompt takes that conversation', async () => {
    const client = await connect(acmeToken);
    const text = await promptText(client, 'find_conversations', { workspace: 'acme-hotels', phrase: 'double+charge', window: '7d' });
    expect(text).toContain('mentioned "double charge" in the last 7 days');
    const hits = await callOk<Page<{ id: string }>>(client, 'search_conversations', {
      workspace_id: argument(text, 'workspace_id'),
      query: argument(text, 'query'),
      created_after: argument(text, 'created_after'),
    });
    expect(hits.data.length).toBeGreaterThan(0);
    const conversation = hits.data[0]!.id;
    const draft = await promptText(client, 'draft_reply', { workspace: 'acme-hotels', conversation_id: conversation, topic: 'refund' });
    expect(draft).toContain('Don\'t send it — just print it.');
    const thread = await callOk<Page<unknown>>(client, 'list_conversation_messages', {
      workspace_id: argument(draft, 'workspace_id'),
      conversation_id: argument(draft, 'conversation_id'),
      order: argument(draft, 'order'),
      limit: 20,
    });
    expect(thread.data.length).toBeGreaterThan(0);
  });

  it('find_knowledge_mentions: the search it names finds the nodes mentioning "48 hours"', async () => {
    const client = await connect(acmeToken);
    const text = await promptText(client, 'find_knowledge_mentions', { workspace: 'acme-hotels', phrase: '48 hours' });
    const nodes = await callOk<Page<{ title: string; path: string }>>(client, 'search_knowledge_nodes', {
      workspace_id: argument(text, 'workspace_id'),
      query: argument(text, 'query'),
      match: argument(text, 'match'),
    });
    expect(nodes.data.length).toBeGreaterThan(0);
  });

  it('completes the workspace from the caller\'s own workspaces only: a token for acme-hotels never sees northwind-clinic', async () => {
    const acme = await connect(acmeToken);
    const demo = await connect(server.token!);
    expect(await workspacesOffered(acme, 'triage_tickets', '')).toEqual(['acme-hotels']);
    expect(await workspacesOffered(acme, 'triage_tickets', 'north')).toEqual([]);
    expect(await workspacesOffered(demo, 'triage_tickets', '')).toEqual(['acme-hotels', 'northwind-clinic']);
    expect(await workspacesOffered(demo, 'triage_tickets', 'north')).toEqual(['northwind-clinic']);
    const refused = await acme.getPrompt({ name: 'use_workspace', arguments: { workspace: 'northwind-clinic' } }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: -32602, message: expect.stringContaining('it can use: acme-hotels') as string });
    const window = await acme.complete({ ref: { type: 'ref/prompt', name: 'find_conversations' }, argument: { name: 'window', value: '' } });
    expect(window.completion.values).toEqual(['24h', '48h', '7d', '14d', '30d', '90d']);
  });
});

describe('prompts through the stdio bridge (npx conduit-mcp)', () => {
  let session: BridgeSession;
  afterAll(() => session?.close());

  it('relays prompts/list, prompts/get and completion/complete', async () => {
    session = await connectStdio(process.execPath, [BRIDGE_CLI, '--url', server.mcpUrl], hostEnv({ CONDUIT_API_TOKEN: acmeToken }));
    const { client } = session;
    expect((await client.listPrompts()).prompts).toHaveLength(5);
    expect(await promptText(client, 'use_workspace', { workspace: 'acme-hotels' })).toContain('Operate on the "acme-hotels" workspace (Acme Hotels)');
    expect(await workspacesOffered(client, 'use_workspace', 'a')).toEqual(['acme-hotels']);
    await expect(client.getPrompt({ name: 'triage_tickets', arguments: { workspace: 'acme-hotels', window: 'week' } })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('"week" is not one of 24h, 48h, 7d, 14d, 30d, 90d') as string,
    });
  });
});
