import { Command, Option } from 'commander';
import { createApiToken, listApiTokens, parseDuration, revokeApiToken } from '../auth/api-tokens.js';
import type { TokenAccess } from '../store/schema.js';
import { resolveWorkspaceIds, withStore, withStoreOptions, type StoreOptions } from './context.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('create, list and revoke capi_ API tokens');

  withStoreOptions(
    tokens
      .command('create')
      .description('create an API token and print it once (only its SHA-256 hash is stored)')
      .requiredOption('--workspace <slug-or-id>', 'workspace the token may use (repeat or comma-separate for several)', collect, [])
      .addOption(new Option('--access <access>', 'what the token may do').choices(['read_only', 'read_write']).default('read_only'))
      .option('--name <name>', 'a label to recognise the token by', 'api token')
      .option('--expires <duration>', 'lifetime such as 90d, 12h or 30m (default: no expiry)'),
  ).action(async (opts: StoreOptions & { workspace: string[]; access: TokenAccess; name: string; expires?: string }) => {
    const expiresAt = opts.expires ? new Date(Date.now() + parseDuration(opts.expires)).toISOString() : null;
    await withStore(opts, async (store) => {
      const workspaceIds = await resolveWorkspaceIds(store, opts.workspace);
      const { id, token } = await createApiToken(store, { name: opts.name, access: opts.access, workspaceIds, expiresAt });
      process.stderr.write(`Created ${opts.access} token ${id} for ${opts.workspace.join(', ')}${expiresAt ? `, expires ${expiresAt}` : ''}.\n`);
      process.stderr.write('Store it now: it cannot be shown again.\n');
      process.stdout.write(`${token}\n`);
    });
  });

  withStoreOptions(tokens.command('list').description('list API tokens (never their secrets)').option('--json', 'print JSON')).action(
    async (opts: StoreOptions & { json?: boolean }) => {
      await withStore(opts, async (store) => {
        const rows = await listApiTokens(store);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        if (rows.length === 0) return void process.stdout.write('No API tokens. Create one with `conduit-mcp-server tokens create`.\n');
        for (const t of rows) {
          const state = t.revoked_at ? `revoked ${t.revoked_at}` : t.expires_at && t.expires_at <= new Date().toISOString() ? `expired ${t.expires_at}` : 'active';
          process.stdout.write(
            `${t.id}  ${t.prefix}…  ${t.access.padEnd(10)}  ${state.padEnd(8)}  ${t.workspaces.join(',')}  "${t.name}"  last used ${t.last_used_at ?? 'never'}\n`,
          );
        }
      });
    },
  );

  withStoreOptions(tokens.command('revoke').description('revoke a token; effective on its next request').argument('<id>', 'token id (tok_…)')).action(
    async (id: string, opts: StoreOptions) => {
      await withStore(opts, async (store) => {
        if (!(await revokeApiToken(store, id))) throw new Error(`no active token with id ${id} (see \`tokens list\`)`);
        process.stdout.write(`Revoked ${id}.\n`);
      });
    },
  );
  return tokens;
}
