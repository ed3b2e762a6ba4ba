import { Command } from 'commander';
import { withStore, withStoreOptions, type CommandIo } from './context.js';
import { normalizeEmail } from '../core/normalize.js';
import { listGrants, revokeGrants } from '../oauth/grants.js';

/** `conduit-mcp-server oauth grants|revoke`: see and cut off OAuth connections. */
export function oauthCommand(io: CommandIo): Command {
  const oauth = new Command('oauth').description('list and revoke OAuth grants (the connections users approved on the consent page)');

  withStoreOptions(oauth.command('grants').description('list active grants: user, client, workspaces, scopes').option('--json', 'print JSON')).action(
    async (opts: Record<string, unknown> & { json?: boolean }) => {
      await withStore(io, opts, 'read', async (store) => {
        const grants = await listGrants(store);
        if (opts.json) return void io.out(`${JSON.stringify(grants, null, 2)}\n`);
        if (grants.length === 0) return void io.out('No active OAuth grants.\n');
        for (const g of grants) {
          io.out(
            `${g.id}  ${g.user_email ?? '(deleted user)'}  "${g.client_name ?? g.client_id}"  ${g.workspaces.join(',') || '(no workspace)'}  ${g.scopes.join(' ')}  since ${g.created_at}\n`,
          );
        }
      });
    },
  );

  withStoreOptions(
    oauth
      .command('revoke')
      .description('revoke a grant and every token issued under it; effective on the next request')
      .argument('[grant-id]', 'grant id (see `oauth grants`)')
      .option('--user <email>', 'revoke every grant of this user instead'),
  ).action(async (grantId: string | undefined, opts: Record<string, unknown> & { user?: string }) => {
    if (!grantId === !opts.user) throw new Error('give either a grant id or --user <email>');
    await withStore(io, opts, 'change', async (store) => {
      let count: number;
      if (opts.user) {
        const user = await store.db.selectFrom('users').select('id').where('email', '=', normalizeEmail(opts.user)).executeTakeFirst();
        if (!user) throw new Error(`no user with email ${opts.user}`);
        count = await revokeGrants(store, { userId: user.id });
      } else {
        count = await revokeGrants(store, { grantId: grantId! });
        if (count === 0) throw new Error(`no grant with id ${grantId} (see \`oauth grants\`)`);
      }
      io.out(`Revoked ${count} grant${count === 1 ? '' : 's'}.\n`);
    });
  });
  return oauth;
}
