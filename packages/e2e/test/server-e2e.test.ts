import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../src/server-process.js';

let server: ServerProcess;
let client: Client;

type Page<T> = { data: T[]; next_cursor: string | null; has_more: boolean };

async function call<T>(name: string, args: Record<string, unknown>): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

beforeAll(async () => {
  server = await startServer({ demo: true });
  expect(server.token).toMatch(/^capi_/);
  client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }),
  );
}, 120_000);

afterAll(async () => {
  await client?.close();
  expect(await server?.stop()).toBe(0); // SIGTERM is a clean, graceful exit
  server?.cleanup();
});

describe('the server process with demo data, driven by the MCP SDK client', () => {
  it('lists every tool with all four annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThanOrEqual(40);
    for (const tool of tools) {
      expect(Object.keys(tool.annotations ?? {}).sort()).toEqual(['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint', 'title']);
      expect(tool.outputSchema).toBeDefined();
    }
  });

  it('example prompt 1: open tickets touched in the last 24 hours, with a ticket and its messages', async () => {
    const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const tickets = await call<Page<{ id: string; status: string; updated_at: string }>>('list_helpdesk_tickets', {
      workspace_id: 'acme-hotels',
      status: 'open',
      updated_after: since,
      limit: 100,
    });
    expect(tickets.data.length).toBeGreaterThan(0);
    for (const ticket of tickets.data) {
      expect(['new', 'pending']).toContain(ticket.status);
      expect(ticket.updated_at >= since).toBe(true);
    }
    const first = tickets.data[0]!;
    const ticket = await call<{ id: string; subject: string }>('get_helpdesk_ticket', { workspace_id: 'acme-hotels', ticket_id: first.id });
    expect(ticket.subject.length).toBeGreaterThan(0);
    const messages = await call<Page<{ body: string }>>('list_ticket_messages', { workspace_id: 'acme-hotels', ticket_id: first.id });
    expect(messages.data.length).toBeGreaterThan(0);
  });

  it('example prompt 2: conversations mentioning "double charge" last week, with the full thread', async () => {
    const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
    const hits = await call<Page<{ id: string; matches: Array<{ message_id: string; created_at: string; snippet: string }> }>>(
      'search_conversations',
      { workspace_id: 'acme-hotels', query: '"double charge"', created_after: since },
    );
    expect(hits.data.length).toBeGreaterThan(0);
    const match = hits.data[0]!.matches[0]!;
    expect(match.snippet.toLowerCase()).toContain('double');
    expect(match.created_at >= since).toBe(true);
    const thread = await call<Page<{ id: string; created_at: string }>>('list_conversation_messages', {
      workspace_id: 'acme-hotels',
      conversation_id: hits.data[0]!.id,
      order: 'asc',
      limit: 100,
    });
    expect(thread.data.map((m) => m.id)).toContain(match.message_id);
  });

  it('example prompt 4: knowledge nodes mentioning "48 hours", with title, path and the sentence', async () => {
    const nodes = await call<Page<{ title: string; path: string; matches: string[] }>>('search_knowledge_nodes', {
      workspace_id: 'acme-hotels',
      query: '48 hours',
      match: 'phrase',
    });
    expect(nodes.data.length).toBeGreaterThan(0);
    for (const node of nodes.data) {
      expect(node.path.startsWith('/')).toBe(true);
      expect(node.matches.some((sentence) => /48 hours/i.test(sentence))).toBe(true);
    }
  });

  it('keeps workspaces apart: the second demo workspace is visible, an unknown one is forbidden', async () => {
    const workspaces = await call<{ data: Array<{ slug: string }> }>('list_workspaces', {});
    expect(workspaces.data.map((w) => w.slug).sort()).toEqual(['acme-hotels', 'northwind-clinic']);
    const result = await client.callTool({ name: 'list_contacts', arguments: { workspace_id: 'globex' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('forbidden');
  });
});
