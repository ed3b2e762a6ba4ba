import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleCanWrite, WORKSPACE_ROLES } from '../src/store/schema.js';
import { createWorkspace } from './helpers.js';
import { Browser, authorizeUrl, callTool, createOAuthFixture, createUser, obtainTokens, PASSWORD, register, type OAuthFixture } from './oauth-helpers.js';

/**
 * A member whose workspace role does not allow writing (viewer) cannot give an application write
 * access there: not at consent, and not later through a grant made before the role changed.
 */

let f: OAuthFixture;
let viewerId: string;

beforeAll(async () => {
  f = await createOAuthFixture();
  // Vic is a viewer in Acme Hotels and a member in Northwind Clinic.
  const vic = await createUser(f.t.store, 'vic@example.com', []);
  viewerId = vic.id;
  await f.t.store.db
    .insertInto('memberships')
    .values([
      { user_id: vic.id, workspace_id: f.acme.id, role: 'viewer' },
      { user_id: vic.id, workspace_id: f.clinic.id, role: 'member' },
    ])
    .execute();
});
afterAll(() => f.close());

async function consentPageFor(email: string): Promise<{ browser: Browser; page: string; url: string }> {
  const client = await register(f.server);
  const browser = new Browser(f.server.url);
  let step = await browser.follow(authorizeUrl(f.server, { client, scope: 'mcp:read mcp:write' }));
  step = await browser.submit(await step.res.text(), step.url, { email, password: PASSWORD });
  const page = await step.res.text();
  expect(page).toContain('Allow access to Conduit?');
  return { browser, page, url: step.url };
}

describe('the read-only role', () => {
  it('is one of the workspace roles, and the only one that cannot write', () => {
    expect(WORKSPACE_ROLES).toContain('viewer');
    expect(WORKSPACE_ROLES.filter((role) => !roleCanWrite(role))).toEqual(['viewer']);
    expect(roleCanWrite('a-role-nobody-defined')).toBe(false);
  });

  it('is shown on the consent page, and writing cannot be granted for a workspace the user may only read', async () => {
    const { browser, page, url } = await consentPageFor('vic@example.com');
    expect(page).toContain('acme-hotels · your role: read only');
    expect(page).toContain('name="write"'); // offered: Vic may write in the clinic

    const refused = await browser.submit(page, url, { decision: 'allow', workspace: [f.acme.id, f.clinic.id], write: 'on' });
    expect(refused.res.status).toBe(400);
    const again = await refused.res.text();
    expect(again).toContain('Your role in Acme Hotels allows reading only. Untick “Send messages and change data”, or leave that workspace out.');
    // Both boxes stay ticked, so the user only has to untick one thing.
    expect(again).toMatch(new RegExp(`value="${f.acme.id}" checked`));
  });

  it('grants read access to that workspace without write, and write where the role allows it', async () => {
    const client = await register(f.server);
    const readOnly = await obtainTokens(f.server, client, { email: 'vic@example.com', workspaces: [f.acme.id], write: false }, { scope: 'mcp:read mcp:write' });
    expect(readOnly.scope.split(' ')).not.toContain('mcp:write');
    expect((await callTool(f.server, readOnly.access_token, 'list_contacts', { workspace_id: f.acme.id })).status).toBe(200);
    const refused = await callTool(f.server, readOnly.access_token, 'create_contact', { workspace_id: f.acme.id, first_name: 'No', email: 'no@example.com' });
    expect(refused.status).toBe(403);

    const writer = await obtainTokens(f.server, await register(f.server), { email: 'vic@example.com', workspaces: [f.clinic.id] }, { scope: 'mcp:read mcp:write' });
    expect(writer.scope.split(' ')).toContain('mcp:write');
    const created = await callTool(f.server, writer.access_token, 'create_contact', { workspace_id: f.clinic.id, first_name: 'Yes', email: 'yes@example.com' });
    expect(created.body.result?.isError).toBeFalsy();
  });

  it('does not offer writing at all to a user who may only read everywhere', async () => {
    const reader = await createUser(f.t.store, 'rita@example.com', []);
    const only = await createWorkspace(f.t.store, 'reading-room', 'Reading Room');
    await f.t.store.db.insertInto('memberships').values({ user_id: reader.id, workspace_id: only.id, role: 'viewer' }).execute();
    const { browser, page, url } = await consentPageFor('rita@example.com');
    expect(page).not.toContain('name="write"');
    // A form forged with write=on is refused the same way.
    const forged = await browser.submit(page, url, { decision: 'allow', workspace: [only.id], write: 'on' });
    expect(forged.res.status).toBe(400);
  });

  it('takes write access away at once from a grant made before the role changed', async () => {
    const tokens = await obtainTokens(f.server, await register(f.server), { email: 'vic@example.com', workspaces: [f.clinic.id] }, { scope: 'mcp:read mcp:write' });
    const write = () => callTool(f.server, tokens.access_token, 'create_contact', { workspace_id: f.clinic.id, first_name: 'Again', email: `again-${Date.now()}@example.com` });
    expect((await write()).body.result?.isError).toBeFalsy();
    await f.t.store.db.updateTable('memberships').set({ role: 'viewer' }).where('user_id', '=', viewerId).where('workspace_id', '=', f.clinic.id).execute();
    try {
      const refused = await write();
      expect(refused.status).toBe(403);
      expect(refused.res.headers.get('www-authenticate')).toContain('insufficient_scope');
      expect((await callTool(f.server, tokens.access_token, 'list_contacts', { workspace_id: f.clinic.id })).status).toBe(200);
    } finally {
      await f.t.store.db.updateTable('memberships').set({ role: 'member' }).where('user_id', '=', viewerId).where('workspace_id', '=', f.clinic.id).execute();
    }
    expect((await write()).body.result?.isError).toBeFalsy();
  });

  it('is what list_workspaces reports', async () => {
    const tokens = await obtainTokens(f.server, await register(f.server), { email: 'vic@example.com', workspaces: [f.acme.id], write: false });
    const res = await callTool(f.server, tokens.access_token, 'list_workspaces', {});
    expect((res.body.result?.structuredContent as { data: Array<{ slug: string; role: string }> }).data).toEqual([expect.objectContaining({ slug: 'acme-hotels', role: 'viewer' })]);
  });
});
