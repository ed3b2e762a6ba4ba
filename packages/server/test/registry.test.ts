import { describe, expect, it } from 'vitest';
import { annotationsFor } from '../src/tools/define.js';
import { allTools, createRegistry, TOOL_ALIASES } from '../src/tools/registry.js';

const registry = createRegistry();

const KIND_BY_PREFIX: Record<string, string> = {
  list: 'read',
  get: 'read',
  search: 'read',
  create: 'create',
  patch: 'update',
  update: 'update',
  delete: 'delete',
  send: 'send',
};

describe('tool registry', () => {
  it('sets all four annotations explicitly on every tool, as TOOLS.md tabulates them by verb', () => {
    for (const tool of registry.listed) {
      const { annotations } = tool;
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof annotations[hint], `${tool.name}.${hint}`).toBe('boolean');
      }
      const verb = tool.name.split('_')[0]!;
      expect(KIND_BY_PREFIX[verb], `${tool.name} has a known verb`).toBeDefined();
      expect(annotations, tool.name).toEqual(annotationsFor(KIND_BY_PREFIX[verb] as never, tool.title));
    }
  });

  it('names tools <verb>_<noun> in snake_case and never lists aliases', () => {
    for (const tool of registry.listed) expect(tool.name).toMatch(/^[a-z]+(_[a-z]+)+$/);
    const names = registry.listed.map((tool) => tool.name);
    for (const [alias, target] of Object.entries(TOOL_ALIASES)) {
      expect(names).not.toContain(alias);
      expect(registry.get(alias)).toBe(registry.get(target));
    }
  });

  it('requires workspace_id everywhere but list_workspaces, and takes idempotency_key on every write', () => {
    for (const tool of registry.listed) {
      const schema = tool.inputSchema as { properties: Record<string, unknown>; required?: string[] };
      if (tool.name !== 'list_workspaces') expect(schema.required, tool.name).toContain('workspace_id');
      if (!tool.annotations.readOnlyHint) expect(Object.keys(schema.properties), tool.name).toContain('idempotency_key');
      expect(tool.outputSchema, tool.name).toMatchObject({ type: 'object' });
      expect(tool.description.length, tool.name).toBeGreaterThan(30);
    }
  });

  it('exposes the whole catalog of TOOLS.md', () => {
    const names = new Set(allTools.map((tool) => tool.name));
    const catalog = [
      'list_workspaces', 'list_workspace_senders',
      'list_contacts', 'get_contact', 'search_contacts', 'create_contact', 'patch_contact', 'send_contact_message',
      'list_custom_attributes', 'get_contact_custom_attributes', 'patch_contact_custom_attributes',
      'list_conversations', 'get_conversation', 'search_conversations', 'list_conversation_messages', 'send_conversation_message',
      'list_tickets', 'get_ticket', 'search_tickets', 'list_ticket_messages', 'send_ticket_message',
      'list_calls', 'get_call', 'list_appointments', 'get_appointment', 'list_reservations', 'get_reservation',
      'search_knowledge', 'search_knowledge_nodes', 'list_knowledge_nodes', 'get_knowledge_node',
      'create_knowledge_node', 'update_knowledge_node', 'delete_knowledge_node',
      'list_agents', 'get_agent', 'create_agent', 'patch_agent', 'delete_agent',
      'list_skills', 'create_skill', 'patch_skill', 'delete_skill',
    ];
    expect([...names].sort()).toEqual([...catalog].sort());
  });

  it('matches the committed JSON schema snapshot of every tool (a schema change is a reviewed diff)', async () => {
    for (const tool of registry.listed) {
      await expect(`${JSON.stringify(tool, null, 2)}\n`).toMatchFileSnapshot(`./__snapshots__/tools/${tool.name}.json`);
    }
  });
});
