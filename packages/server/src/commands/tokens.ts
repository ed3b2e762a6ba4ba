import { Command, Option } from 'commander';
import { createApiToken, listApiTokens, parseDuration, revokeApiToken } from '../auth/api-tokens.js';
import type { TokenAccess } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { collect, resolveWorkspaceIds, withStore, withStoreOptions, type CommandIo } from './context.js';

async function activeToken(store: Store, id: string): Promise<{ id: string; workspaceIds: string[] }> {
  const token = await store.db.selectFrom('api_tokens').select(['id', 'revoked_at', 'expires_at']).where('id', '=', id).executeTakeFirst();
  if (!token) throw new Error(`no token with id ${id} (see \`tokens list\`)`);
  if (token.revoked_at) throw new Error(`token ${id} was revoked ${token.revoked_at}; create a new one with \`tokens create\``);
  if (token.expires_at && token.expires_at <= new Date().toISOString()) throw new Error(`token ${id} expired ${token.expires_at}; create a new one with \`tokens create\``);
  const links = await store.db.selectFrom('api_token_workspaces').select('workspace_id').where('token_id', '=', id).execute();
  return { id, workspaceIds: links.map((l) => l.workspace_id) };
}

async function slugsOf(store: Store, ids: string[]): Promise<string> {
  if (ids.length === 0) return '(none)';
  const rows = await store.db.selectFrom('workspaces').select('slug').where('id', 'in', ids).orderBy('slug').execute();
  return rows.map((r) => r.slug).join(', ');
}

export function tokensCommand(io: CommandIo): Command {
  const tokens = new Command('tokens').description(
    'create, list and revoke capi_ API tokens; a token reaches the workspaces it is attached to (tokens attach|detach change them, the secret stays the same)',
  );

  withStoreOptions(
    tokens
      .command('create')
      .description('create an API token and print it once (only its SHA-256 hash is stored)')
      .requiredOption('--workspace <slug-or-id>', 'workspace the token may use (repeat or comma-separate for several)', collect)
      .addOption(new Option('--access <access>', 'what the token may do').choices(['read_only', 'read_write']).default('read_only'))
      .option('--name <name>', 'a label to recognise the token by', 'api token')
      .option('--expires <duration>', 'lifetime such as 90d, 12h or 30m (default: no expiry)'),
  ).action(async (opts: Record<string, unknown> & { workspace: string[]; access: TokenAccess; name: string; expires?: string }) => {
    const expiresAt = opts.expires ? new Date(Date.now() + parseDuration(opts.expires)).toISOString() : null;
    await withStore(io, opts, 'change', async (store) => {
      const workspaceIds = await resolveWorkspaceIds(store, opts.workspace);
      const { id, token } = await createApiToken(store, { name: opts.name, access: opts.access, workspaceIds, expiresAt });
      io.err(`Created ${opts.access} token ${id} for ${opts.workspace.join(', ')}${expiresAt ? `, expires ${expiresAt}` : ''}.\n`);
      io.err('Store it now: it cannot be shown again.\n');
      io.out(`${token}\n`);
    });
  });

  withStoreOptions(tokens.command('list').description('list API tokens (never their secrets)').option('--json', 'print JSON')).action(
    async (opts: Record<string, unknown> & { json?: boolean }) => {
      await withStore(io, opts, 'read', async (store) => {
        const rows = await listApiTokens(store);
        if (opts.json) return void io.out(`${JSON.stringify(rows, null, 2)}\n`);
        if (rows.length === 0) return void io.out('No API tokens. Create one with `conduit-mcp-server tokens create`.\n');
        for (const t of rows) {
          const state = t.revoked_at ? `revoked ${t.revoked_at}` : t.expires_at && t.expires_at <= new Date().toISOString() ? `expired ${t.expires_at}` : 'active';
          io.out(`${t.id}  ${t.prefix}…  ${t.access.padEnd(10)}  ${state.padEnd(8)}  ${t.workspaces.join(',')}  "${t.name}"  last used ${t.last_used_at ?? 'never'}\n`);
        }
      });
    },
  );

  withStoreOptions(tokens.command('revoke').description('revoke a token; effective on its next request').argument('<id>', 'token id (tok_…)')).action(
    async (id: string, opts: Record<string, unknown>) => {
      await withStore(io, opts, 'change', async (store) => {
        if (!(await revokeApiToken(store, id))) throw new Error(`no active token with id ${id} (see \`tokens list\`)`);
        io.out(`Revoked ${id}.\n`);
      });
    },
  );

  withStoreOptions(
    tokens
      .command('attach')
      .description('let a token reach more workspaces, effective on its next request (same secret)')
      .argument('<id>', 'token id (tok_…)')
      .requiredOption('--workspace <slug-or-id>', 'workspace (repeat or comma-separate for several)', collect),
  ).action(async (id: string, opts: Record<string, unknown> & { workspace: string[] }) => {
    await withStore(io, opts, 'change', async (store) => {
      const token = await activeToken(store, id);
      const added = (await resolveWorkspaceIds(store, opts.workspace)).filter((w, i, all) => !token.workspaceIds.includes(w) && all.indexOf(w) === i);
      if (added.length) await store.db.insertInto('api_token_workspaces').values(added.map((workspace_id) => ({ token_id: id, workspace_id }))).execute();
      io.out(`Token ${id} reaches ${await slugsOf(store, [...token.workspaceIds, ...added])}.\n`);
    });
  });

  withStoreOptions(
    tokens
      .command('detach')
      .description('take workspaces away from a token, effective on its next request')
      .argument('<id>', 'token id (tok_…)')
      .requiredOption('--workspace <slug-or-id>', 'workspace (repeat or comma-separate for several)', collect),
  ).action(async (id: string, opts: Record<string, unknown> & { workspace: string[] }) => {
    await withStore(io, opts, 'change', async (store) => {
      const token = await activeToken(store, id);
      const removed = await resolveWorkspaceIds(store, opts.workspace);
      for (const w of removed) {
        if (!token.workspaceIds.includes(w)) throw new Error(`token ${id} is not attached to ${opts.workspace[removed.indexOf(w)]} (it reaches ${await slugsOf(store, token.workspaceIds)})`);
      }
      const left = token.workspaceIds.filter((w) => !removed.includes(w));
      if (left.length === 0) throw new Error(`token ${id} would reach no workspace: revoke it instead (\`tokens revoke ${id}\`)`);
      await store.db.deleteFrom('api_token_workspaces').where('token_id', '=', id).where('workspace_id', 'in', removed).execute();
      io.out(`Token ${id} reaches ${await slugsOf(store, left)}.\n`);
    });
  });
  return tokens;
}
