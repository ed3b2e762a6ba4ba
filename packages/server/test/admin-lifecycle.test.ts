import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKSPACE_ROLES } from '../src/store/schema.js';
import { runCommand } from './command-helpers.js';
import { createWorkspace } from './helpers.js';
import {
  authorizeUrl,
  Browser,
  callTool,
  createOAuthFixture,
  createUser,
  obtainTokens,
  PASSWORD,
  register,
  signInAndConsent,
  tokenRequest,
  type OAuthFixture,
} from './oauth-helpers.js';

/**
 * The admin lifecycle against a running server on the same database: each command takes effect
 * on the next request, as the docs promise.
 */
let f: OAuthFixture;
const admin = (...args: string[]) => runCommand([...args, ...f.t.databaseArgs]);

beforeAll(async () => {
  f = await createOAuthFixture();
});
afterAll(async () => f?.close());

async function senders(token: string, workspace: string): Promise<string> {
  const res = await callTool(f.server, token, 'list_workspace_senders', { workspace_id: workspace });
  if (res.status !== 200) return `HTTP ${res.status}`;
  return res.body.result?.isError ? (res.body.result.content[0]?.text.split(':')[0] ?? 'error') : 'ok';
}

/**
 * Sign-ins are timed in whole seconds, and one in the same second as a sign-out counts as before
 * it: a sign-in meant to come after a reset waits for the next second.
 */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10));
}

async function memberships(email: string): Promise<Record<string, string>> {
  const rows = await f.t.store.db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['w.slug', 'm.role'])
    .where('u.email', '=', email)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.slug, r.role]));
}

describe('members', () => {
  it('adds an existing user to another workspace, and refuses twice, unknown users and unknown workspaces', async () => {
    await createUser(f.t.store, 'bo@example.com', [f.acme]);
    const added = await admin('members', 'add', '--email', 'BO@example.com', '--workspace', 'northwind-clinic');
    expect(added.code).toBe(0);
    expect(added.out).toBe('Added bo@example.com to northwind-clinic as member.\n');
    expect(await memberships('bo@example.com')).toEqual({ 'acme-hotels': 'member', 'northwind-clinic': 'member' });

    expect((await admin('members', 'add', '--email', 'bo@example.com', '--workspace', 'acme-hotels')).err).toMatch(
      /error: bo@example\.com is already a member of acme-hotels \(member\); change the role with `members role`\n$/,
    );
    expect((await admin('members', 'add', '--email', 'nobody@example.com', '--workspace', 'acme-hotels')).err).toMatch(/error: no user with email nobody@example\.com \(see `users list`\)\n$/);
    expect((await admin('members', 'add', '--email', 'bo@example.com', '--workspace', 'nowhere')).err).toMatch(/error: unknown workspace "nowhere" \(known: acme-hotels, northwind-clinic\)\n$/);
    expect((await admin('members', 'add', '--email', 'bo@example.com')).err).toBe("error: required option '--workspace <slug-or-id>' not specified\n");
  });

  it('lists the members of a workspace with their roles', async () => {
    const listed = await admin('members', 'list', '--workspace', 'northwind-clinic');
    expect(listed.out).toMatch(/^us_\w+ {2}ana@example\.com {2}member {2}"ana"\nus_\w+ {2}bo@example\.com {2}member {2}"bo"\n$/);
  });

  it('changes a role, taking the valid roles from the one list', async () => {
    const changed = await admin('members', 'role', '--email', 'bo@example.com', '--workspace', 'acme-hotels', '--role', 'admin');
    expect(changed.out).toBe('bo@example.com: acme-hotels: member → admin.\n');
    expect(await memberships('bo@example.com')).toMatchObject({ 'acme-hotels': 'admin' });
    const wrong = await admin('members', 'role', '--email', 'bo@example.com', '--workspace', 'acme-hotels', '--role', 'root');
    expect(wrong.err).toBe(`error: option '--role <role>' argument 'root' is invalid. Allowed choices are ${WORKSPACE_ROLES.join(', ')}.\n`);
    expect((await admin('members', 'role', '--email', 'bo@example.com', '--workspace', 'acme-hotels')).err).toBe("error: required option '--role <role>' not specified\n");
    const outsider = await createWorkspace(f.t.store, 'outsiders');
    expect((await admin('members', 'role', '--email', 'bo@example.com', '--workspace', outsider.slug, '--role', 'owner')).err).toMatch(
      /error: bo@example\.com is not a member of outsiders; add them with `members add`\n$/,
    );
  });

  it("changed to viewer, a member's OAuth clients lose write access on the next request", async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { email: 'bo@example.com', workspaces: [f.acme.id] }, { scope: 'mcp:read mcp:write' });
    const write = () => callTool(f.server, tokens.access_token, 'send_conversation_message', { workspace_id: 'acme-hotels' });
    expect((await write()).status).toBe(200); // a validation error: the write scope was accepted
    expect((await admin('members', 'role', '--email', 'bo@example.com', '--workspace', 'acme-hotels', '--role', 'viewer')).out).toBe('bo@example.com: acme-hotels: admin → viewer.\n');
    expect((await write()).status).toBe(403);
    expect(await senders(tokens.access_token, 'acme-hotels')).toBe('ok');
    await admin('members', 'role', '--email', 'bo@example.com', '--workspace', 'acme-hotels', '--role', 'admin');
  });

  it("removes a member: their OAuth tokens lose that workspace on the next request, for good", async () => {
    const client = await register(f.server);
    const tokens = await obtainTokens(f.server, client, { email: 'bo@example.com', workspaces: [f.acme.id, f.clinic.id] }, { scope: 'mcp:read' });
    expect(await senders(tokens.access_token, 'northwind-clinic')).toBe('ok');

    const removed = await admin('members', 'remove', '--email', 'bo@example.com', '--workspace', 'northwind-clinic');
    expect(removed.out).toBe('Removed bo@example.com from northwind-clinic; 1 OAuth grant no longer reaches it.\n');
    expect(await senders(tokens.access_token, 'northwind-clinic')).toBe('forbidden');
    expect(await senders(tokens.access_token, 'acme-hotels')).toBe('ok');

    // Added back, the old connection does not get the workspace again; a new consent does.
    await admin('members', 'add', '--email', 'bo@example.com', '--workspace', 'northwind-clinic');
    expect(await senders(tokens.access_token, 'northwind-clinic')).toBe('forbidden');
    expect((await admin('members', 'remove', '--email', 'bo@example.com', '--workspace', 'outsiders')).err).toMatch(
      /error: bo@example\.com is not a member of outsiders \(see `members list --workspace outsiders`\)\n$/,
    );
  });
});

describe('users reset-password', () => {
  it('sets a new password, ends the sign-in sessions, and keeps the OAuth connections', async () => {
    await createUser(f.t.store, 'cy@example.com', [f.acme]);
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    await signInAndConsent(browser, authorizeUrl(f.server, { client, scope: 'mcp:read' }), { email: 'cy@example.com', workspaces: [f.acme.id] });
    // Signed in: the next authorization in this browser goes straight to consent.
    expect(await (await browser.follow(authorizeUrl(f.server, { client, scope: 'mcp:read' }))).res.text()).toContain('Allow access to Conduit?');
    const tokens = await obtainTokens(f.server, client, { email: 'cy@example.com', workspaces: [f.acme.id] }, { scope: 'mcp:read' });

    const reset = await admin('users', 'reset-password', '--email', 'cy@example.com');
    expect(reset.code).toBe(0);
    const password = /^Password \(shown once\): (\S+)\n$/.exec(reset.out)?.[1];
    expect(password).toBeTruthy();
    expect(reset.err).toMatch(
      /New password for cy@example\.com; every browser signed in as them asks for it on its next sign-in\. Their OAuth connections keep working; to cut them off too: conduit-mcp-server oauth revoke --user cy@example\.com\n$/,
    );

    expect(await (await browser.follow(authorizeUrl(f.server, { client, scope: 'mcp:read' }))).res.text()).toContain('Sign in to Conduit');
    await expect(obtainTokens(f.server, client, { email: 'cy@example.com', workspaces: [f.acme.id] }, { scope: 'mcp:read' })).rejects.toThrow(/expected the consent page/);
    await nextSecond();
    await obtainTokens(f.server, client, { email: 'cy@example.com', password, workspaces: [f.acme.id] }, { scope: 'mcp:read' });
    expect(await senders(tokens.access_token, 'acme-hotels')).toBe('ok');
  });

  it('takes the new password from standard input, at least 12 characters', async () => {
    const piped = await admin('users', 'reset-password', '--email', 'cy@example.com', '--password-stdin');
    expect(piped.err).toBe('error: the password on standard input must be at least 12 characters\n');
    const ok = await runCommand(['users', 'reset-password', '--email', 'cy@example.com', '--password-stdin', ...f.t.databaseArgs], { stdin: `${PASSWORD}\n` });
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('');
    await nextSecond();
    await obtainTokens(f.server, await register(f.server), { email: 'cy@example.com', password: PASSWORD, workspaces: [f.acme.id] }, { scope: 'mcp:read' });
  });
});

describe('users delete', () => {
  it("deletes a user: their access and refresh tokens, grants and sessions stop working on the next request", async () => {
    await createUser(f.t.store, 'dee@example.com', [f.acme, f.clinic]);
    const client = await register(f.server);
    const browser = new Browser(f.server.url);
    await signInAndConsent(browser, authorizeUrl(f.server, { client, scope: 'mcp:read' }), { email: 'dee@example.com', workspaces: [f.acme.id] });
    const tokens = await obtainTokens(f.server, client, { email: 'dee@example.com', workspaces: [f.acme.id] }, { scope: 'mcp:read offline_access' });
    expect(tokens.refresh_token).toBeTruthy();
    expect(await senders(tokens.access_token, 'acme-hotels')).toBe('ok');

    const deleted = await admin('users', 'delete', '--email', 'dee@example.com');
    expect(deleted.code).toBe(0);
    expect(deleted.out).toMatch(/^Deleted user us_\w+ \(dee@example\.com\): 2 memberships and 2 OAuth grants ended with it, and every browser signed in as them is signed out\.\n$/);

    expect(await senders(tokens.access_token, 'acme-hotels')).toBe('HTTP 401');
    const refreshed = await tokenRequest(f.server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: client.client_id });
    expect(refreshed.body.error).toBe('invalid_grant');
    expect(await (await browser.follow(authorizeUrl(f.server, { client, scope: 'mcp:read' }))).res.text()).toContain('Sign in to Conduit');
    expect((await admin('oauth', 'grants')).out).not.toContain('dee@example.com');
    expect((await admin('users', 'list')).out).not.toContain('dee@example.com');
    expect((await admin('users', 'delete', '--email', 'dee@example.com')).err).toMatch(/error: no user with email dee@example\.com \(see `users list`\)\n$/);
  });
});

describe('tokens attach / detach', () => {
  it('changes the workspaces a token reaches, effective on its next request, and never leaves it none', async () => {
    const created = await admin('tokens', 'create', '--workspace', 'acme-hotels', '--name', 'ci');
    const token = created.out.trim();
    const id = /Created read_only token (tok_\w+) /.exec(created.err)?.[1];
    expect(id).toBeTruthy();
    expect(await senders(token, 'northwind-clinic')).toBe('forbidden');

    expect((await admin('tokens', 'attach', id!, '--workspace', 'northwind-clinic')).out).toBe(`Token ${id} reaches acme-hotels, northwind-clinic.\n`);
    expect(await senders(token, 'northwind-clinic')).toBe('ok');
    expect((await admin('tokens', 'attach', id!, '--workspace', 'northwind-clinic')).out).toBe(`Token ${id} reaches acme-hotels, northwind-clinic.\n`);

    expect((await admin('tokens', 'detach', id!, '--workspace', 'acme-hotels')).out).toBe(`Token ${id} reaches northwind-clinic.\n`);
    expect(await senders(token, 'acme-hotels')).toBe('forbidden');
    expect((await admin('tokens', 'detach', id!, '--workspace', 'acme-hotels')).err).toMatch(/error: token tok_\w+ is not attached to acme-hotels \(it reaches northwind-clinic\)\n$/);
    expect((await admin('tokens', 'detach', id!, '--workspace', 'northwind-clinic')).err).toMatch(
      new RegExp(`error: token ${id} would reach no workspace: revoke it instead \\(\`tokens revoke ${id}\`\\)\\n$`),
    );

    await admin('tokens', 'revoke', id!);
    expect((await admin('tokens', 'attach', id!, '--workspace', 'acme-hotels')).err).toMatch(/error: token tok_\w+ was revoked \S+; create a new one with `tokens create`\n$/);
    expect((await admin('tokens', 'attach', 'tok_nope', '--workspace', 'acme-hotels')).err).toMatch(/error: no token with id tok_nope \(see `tokens list`\)\n$/);
  });
});
