import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credential } from '../src/core/credential.js';
import type { Workspace } from '../src/core/workspace-access.js';
import { createLimiter } from '../src/limits/policy.js';
import { createDatabaseBuckets } from '../src/limits/token-bucket.js';
import { createPreflight, type McpRateLimits, type McpRequest } from '../src/mcp/preflight.js';
import type { JsonRpcRequest } from '../src/mcp/protocol.js';
import { isWriteKind } from '../src/tools/define.js';
import { createRegistry } from '../src/tools/registry.js';
import { reservationTools } from '../src/tools/reservations.js';
import { createTestStore, createWorkspace, credentialFor, type TestStore } from './helpers.js';

let t: TestStore;
let acme: Workspace;
let other: Workspace;
const registry = createRegistry();
const cursorKey = Buffer.alloc(32, 3);

/** A tools/call request, or with `id` null a notification (no id). */
function toolCall(name: string, args: Record<string, unknown> = {}, id: number | null = 1): JsonRpcRequest {
  return { jsonrpc: '2.0', ...(id === null ? {} : { id }), method: 'tools/call', params: { name, arguments: args } };
}

function request(message: JsonRpcRequest, credential: Credential, idempotencyKeyHeader?: string): McpRequest {
  return { message, credential, idempotencyKeyHeader };
}

function limits(limit: number): McpRateLimits {
  const buckets = createDatabaseBuckets(t.store);
  const policy = { limit, windowSeconds: 3600 };
  return { workspace: createLimiter(buckets, 'workspace', policy), credential: createLimiter(buckets, 'credential', policy) };
}

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme');
  other = await createWorkspace(t.store, 'other');
});
afterAll(async () => {
  await t.cleanup();
});

describe('MCP preflight', () => {
  it('refuses every write tool to a credential without write access, and only those', async () => {
    const preflight = createPreflight({ data: t.store, registry, cursorKey });
    const readOnlyToken = credentialFor([acme], 'read_only');
    // An OAuth grant may be read_write in the database yet carry only the mcp:read scope.
    const readScope: Credential = { ...credentialFor([acme]), kind: 'oauth', scopes: ['mcp:read'] };
    const writer = credentialFor([acme]);
    for (const tool of registry.tools) {
      const expected = isWriteKind(tool.kind) ? 'insufficient_scope' : 'run';
      expect((await preflight(request(toolCall(tool.name), readOnlyToken))).outcome, tool.name).toBe(expected);
      expect((await preflight(request(toolCall(tool.name), readScope))).outcome, tool.name).toBe(expected);
      expect((await preflight(request(toolCall(tool.name), writer))).outcome, tool.name).toBe('run');
    }
    // Aliases are the same tools.
    expect((await preflight(request(toolCall('list_helpdesk_tickets'), readOnlyToken))).outcome).toBe('run');
  });

  it('builds the call context from the request and the registry serving it', async () => {
    const subset = createRegistry(reservationTools);
    const preflight = createPreflight({ data: t.store, registry: subset, cursorKey });
    const credential = credentialFor([acme]);
    const decided = await preflight(request(toolCall('list_reservations', { workspace_id: 'acme' }), credential, 'key-1'));
    if (decided.outcome !== 'run') throw new Error(`expected run, got ${decided.outcome}`);
    expect(decided.tool?.name).toBe('list_reservations');
    expect(decided.limit).toBeUndefined();
    const context = decided.context();
    expect(context).toMatchObject({ data: t.store, credential, cursorKey, idempotencyKeyHeader: 'key-1', servedTools: subset.served });
    expect([...context.servedTools.names]).toEqual(['list_reservations', 'get_reservation']);
    // A tool this registry does not serve is left to the protocol's unknown-tool answer.
    const unknown = await preflight(request(toolCall('send_ticket_message'), credentialFor([acme], 'read_only')));
    expect(unknown).toMatchObject({ outcome: 'run', tool: undefined });
  });

  it('draws from the bucket of the workspace a call names when the credential has it, else from the credential\'s own', async () => {
    const preflight = createPreflight({ data: t.store, registry, cursorKey, rateLimits: limits(100) });
    const credential = credentialFor([acme]);
    const bucketOf = async (message: JsonRpcRequest) => {
      const decided = await preflight(request(message, credential));
      return decided.outcome === 'limiter_unavailable' ? undefined : decided.limit?.limiter.name;
    };
    expect(await bucketOf(toolCall('list_contacts', { workspace_id: 'acme' }))).toBe('workspace');
    expect(await bucketOf(toolCall('list_contacts', { workspace_id: acme.id }))).toBe('workspace');
    expect(await bucketOf(toolCall('list_contacts', { workspace_id: other.id }))).toBe('credential');
    expect(await bucketOf(toolCall('list_contacts', { workspace_id: 'no-such-workspace' }))).toBe('credential');
    expect(await bucketOf({ jsonrpc: '2.0', id: 2, method: 'tools/list' })).toBe('credential');
    // A notification runs nothing and is not counted.
    expect(await bucketOf(toolCall('list_contacts', { workspace_id: 'acme' }, null))).toBeUndefined();
  });

  it('stops a request over the limit before deciding anything else; the workspace\'s clients share its bucket', async () => {
    const preflight = createPreflight({ data: t.store, registry, cursorKey, rateLimits: limits(2) });
    const one = credentialFor([other]);
    const two: Credential = { ...credentialFor([other], 'read_only'), id: 'tok_second' };
    expect((await preflight(request(toolCall('list_contacts', { workspace_id: 'other' }), one))).outcome).toBe('run');
    const scoped = await preflight(request(toolCall('create_contact', { workspace_id: 'other' }), two));
    expect(scoped.outcome).toBe('insufficient_scope');
    expect(scoped.outcome !== 'limiter_unavailable' && scoped.limit?.decision.remaining).toBe(0);
    const limited = await preflight(request(toolCall('create_contact', { workspace_id: 'other' }), two));
    expect(limited.outcome).toBe('rate_limited');
    expect(limited.outcome === 'rate_limited' && limited.limit.decision.retryAfter).toBeGreaterThan(0);
    // Another bucket is untouched.
    expect((await preflight(request({ jsonrpc: '2.0', id: 3, method: 'ping' }, two))).outcome).toBe('run');
  });
});
