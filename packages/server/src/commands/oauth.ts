import { Command } from 'commander';
import { withStore, withStoreOptions, type StoreOptions } from './context.js';
import { normalizeEmail } from '../core/normalize.js';
import { listGrants, revokeGrants } from '../oauth/grants.js';

/** `conduit-mcp-server oauth grants|revoke`: see and cut off OAuth connections. */
export function oauthCommand(): Command {
  const oauth = new Command('oauth').description('list and revoke OAuth grants (the connections users approved on the consent page)');

  withStoreOptions(oauth.command('grants').description('list active grants: user, client, workspaces, scopes').option('--json', 'print JSON')).action(
    async (opts: StoreOptions & { json?: boolean }) => {
      await withStore(opts, async (store) => {
        const grants = await listGrants(store);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(grants, null, 2)}\n`);
        if (grants.length === 0) return void process.stdout.write('No active OAuth grants.\n');
        for (const g of grants) {
          process.stdout.write(
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
  ).action(async (grantId: string | undefined, opts: StoreOptions & { user?: string }) => {
    if (!grantId === !opts.user) throw new Error('give either a grant id or --user <email>');
    await withStore(opts, async (store) => {
      let count: number;
      if (opts.user) {
        const user = await store.db.selectFrom('users').select('id').where('email', '=', normalizeEmail(opts.user)).executeTakeFirst();
        if (!user) throw new Error(`no user with email ${opts.user}`);
        count = await revokeGrants(store, { userId: user.id });
      } else {
        count = await revokeGrants(store, { grantId: grantId! });
        if (count === 0) throw new Error(`no grant with id ${grantId} (see \`oauth grants\`)`);
      }
      process.stdout.write(`Revoked ${count} grant${count === 1 ? '' : 's'}.\n`);
    });
  });
  return oauth;
}
