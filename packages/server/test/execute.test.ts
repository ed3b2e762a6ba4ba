import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolError } from '../src/core/errors.js';
import type { Workspace } from '../src/core/workspace-access.js';
import { defineTool } from '../src/tools/define.js';
import { executeTool } from '../src/tools/execute.js';
import { pruneIdempotencyKeys } from '../src/tools/idempotency.js';
import { idempotencyKeySchema, workspaceIdSchema } from '../src/tools/schemas.js';
import { createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

// A write tool that records a setting: enough to observe exactly-once behaviour on a real table.
const putSetting = defineTool({
  name: 'put_setting',
  title: 'Put setting',
  description: 'test tool',
  kind: 'create',
  input: z.object({ workspace_id: workspaceIdSchema, name: z.string(), value: z.string(), fail: z.boolean().optional(), idempotency_key: idempotencyKeySchema }),
  output: z.object({ name: z.string(), value: z.string() }),
  async handler(args, ctx) {
    await ctx.db.insertInto('settings').values({ key: `${args.name}:${Math.random()}`, value: args.value }).execute();
    if (args.fail) throw new ToolError('conflict', 'asked to fail after writing');
    return { name: args.name, value: args.value };
  },
});

// A write that inserts the same unique row every time: a second real run fails on it.
const putFixed = defineTool({
  name: 'put_fixed',
  title: 'Put fixed setting',
  description: 'test tool',
  kind: 'create',
  input: z.object({ workspace_id: workspaceIdSchema, value: z.string(), idempotency_key: idempotencyKeySchema }),
  output: z.object({ value: z.string() }),
  async handler(args, ctx) {
    await ctx.db.insertInto('settings').values({ key: 'fixed', value: args.value }).execute();
    return { value: args.value };
  },
});

let t: TestStore;
let acme: Workspace;
let other: Workspace;

async function settingsCount(value: string): Promise<number> {
  const rows = await t.store.db.selectFrom('settings').select('key').where('value', '=', value).execute();
  return rows.length;
}

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme');
  other = await createWorkspace(t.store, 'other');
});
afterAll(() => t.cleanup());

describe('write executor', () => {
  it('replays the first result for the same key and arguments, writing once', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const args = { workspace_id: 'acme', name: 'a', value: 'v1', idempotency_key: 'k1' };
    const first = await executeTool(putSetting, args, ctx);
    const second = await executeTool(putSetting, { ...args, workspace_id: acme.id }, ctx);
    expect(first.isError).toBeUndefined();
    expect(second.structuredContent).toEqual(first.structuredContent);
    expect(second._meta?.['conduit/idempotency']).toMatchObject({ key: 'k1', replayed: true });
    expect(await settingsCount('v1')).toBe(1);
  });

  it('rejects the same key with different arguments, and keeps keys per workspace', async () => {
    const ctx = testContext(t.store, credentialFor([acme, other]));
    await executeTool(putSetting, { workspace_id: 'acme', name: 'b', value: 'v2', idempotency_key: 'k2' }, ctx);
    const reused = await executeTool(putSetting, { workspace_id: 'acme', name: 'b', value: 'v2-changed', idempotency_key: 'k2' }, ctx);
    expect(reused.content[0]?.text).toMatch(/^idempotency_key_reused:/);
    const elsewhere = await executeTool(putSetting, { workspace_id: 'other', name: 'b', value: 'v2', idempotency_key: 'k2' }, ctx);
    expect(elsewhere.isError).toBeUndefined();
    expect(await settingsCount('v2')).toBe(2);
    expect(await settingsCount('v2-changed')).toBe(0);
  });

  it('takes the key from the header, and refuses a header that disagrees with the argument', async () => {
    const ctx = testContext(t.store, credentialFor([acme]), { idempotencyKeyHeader: 'hk' });
    await executeTool(putSetting, { workspace_id: 'acme', name: 'c', value: 'v3' }, ctx);
    const replay = await executeTool(putSetting, { workspace_id: 'acme', name: 'c', value: 'v3', idempotency_key: 'hk' }, ctx);
    expect(replay._meta?.['conduit/idempotency']).toMatchObject({ replayed: true });
    const clash = await executeTool(putSetting, { workspace_id: 'acme', name: 'c', value: 'v3', idempotency_key: 'other' }, ctx);
    expect(clash.content[0]?.text).toMatch(/^invalid_argument: idempotency_key argument and Idempotency-Key header differ/);
    expect(await settingsCount('v3')).toBe(1);
  });

  it('rolls back a failed write and stores no key, so a retry runs again', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const failed = await executeTool(putSetting, { workspace_id: 'acme', name: 'd', value: 'v4', fail: true, idempotency_key: 'k4' }, ctx);
    expect(failed.content[0]?.text).toMatch(/^conflict:/);
    expect(await settingsCount('v4')).toBe(0);
    const retried = await executeTool(putSetting, { workspace_id: 'acme', name: 'd', value: 'v4', idempotency_key: 'k4' }, ctx);
    expect(retried.isError).toBeUndefined();
    expect(await settingsCount('v4')).toBe(1);
  });

  it('serialises 50 concurrent identical keyed writes into one write', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const args = { workspace_id: 'acme', name: 'e', value: 'v5', idempotency_key: 'k5' };
    const results = await Promise.all(Array.from({ length: 50 }, () => executeTool(putSetting, args, ctx)));
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(results.filter((r) => r._meta?.['conduit/idempotency']).length).toBe(49);
    expect(await settingsCount('v5')).toBe(1);
  });

  it('replays, rather than failing on the unique row, for concurrent keyed writes of one unique value', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    const args = { workspace_id: 'acme', value: 'v8', idempotency_key: 'k8' };
    const results = await Promise.all(Array.from({ length: 20 }, () => executeTool(putFixed, args, ctx)));
    expect(results.map((r) => r.content[0]?.text)).toEqual(Array.from({ length: 20 }, () => '{"value":"v8"}'));
    expect(results.filter((r) => r._meta?.['conduit/idempotency']).length).toBe(19);
    expect(await settingsCount('v8')).toBe(1);
  });

  it('writes again without a key, and prunes expired keys', async () => {
    const ctx = testContext(t.store, credentialFor([acme]));
    await executeTool(putSetting, { workspace_id: 'acme', name: 'f', value: 'v6' }, ctx);
    await executeTool(putSetting, { workspace_id: 'acme', name: 'f', value: 'v6' }, ctx);
    expect(await settingsCount('v6')).toBe(2);
    const before = await t.store.db.selectFrom('idempotency_keys').select('key').execute();
    expect(await pruneIdempotencyKeys(t.store.db, new Date(Date.now() + 25 * 3600 * 1000))).toBe(before.length);
  });
});
