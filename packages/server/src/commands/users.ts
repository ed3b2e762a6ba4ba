import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { hashPassword } from '../auth/passwords.js';
import { deleteUserRows, findUserByEmail, insertUser, normalizeUserEmail, requireUserByEmail, setPasswordHash } from '../auth/users.js';
import { base32 } from '../ids.js';
import { endSignIns, revokeGrantsOfUser } from '../oauth/revocation.js';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../store/schema.js';
import { collect, resolveWorkspaceIds, withStore, withStoreOptions, type CommandIo } from './context.js';

const MIN_PASSWORD = 12;

/** A generated password (printed once), or the one piped in with --password-stdin. */
async function newPassword(io: CommandIo, fromStdin: boolean | undefined): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: base32(randomBytes(12)), generated: true };
  const password = (await io.readStdin()).replace(/\r?\n$/, '');
  if (password.length < MIN_PASSWORD) throw new Error(`the password on standard input must be at least ${MIN_PASSWORD} characters`);
  return { password, generated: false };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function usersCommand(io: CommandIo): Command {
  const users = new Command('users').description('list, create, reset and delete the users who sign in on the OAuth consent pages (memberships: see `members`)');

  withStoreOptions(users.command('list').description('list users and their workspaces').option('--json', 'print JSON')).action(
    async (opts: Record<string, unknown> & { json?: boolean }) => {
      await withStore(io, opts, 'read', async (store) => {
        const rows = await store.db
          .selectFrom('users as u')
          .leftJoin('memberships as m', 'm.user_id', 'u.id')
          .leftJoin('workspaces as w', 'w.id', 'm.workspace_id')
          .select(['u.id', 'u.email', 'u.name', 'w.slug', 'm.role'])
          .orderBy('u.email')
          .orderBy('w.slug')
          .execute();
        const byUser = new Map<string, { id: string; email: string; name: string; workspaces: Array<{ slug: string; role: string }> }>();
        for (const r of rows) {
          const entry = byUser.get(r.id) ?? { id: r.id, email: r.email, name: r.name, workspaces: [] };
          if (r.slug && r.role) entry.workspaces.push({ slug: r.slug, role: r.role });
          byUser.set(r.id, entry);
        }
        if (opts.json) return void io.out(`${JSON.stringify([...byUser.values()], null, 2)}\n`);
        if (byUser.size === 0) return void io.out('No users. Create one with `users create`.\n');
        for (const u of byUser.values()) {
          io.out(`${u.id}  ${u.email}  "${u.name}"  ${u.workspaces.map((w) => `${w.slug}(${w.role})`).join(', ') || '(no workspace)'}\n`);
        }
      });
    },
  );

  withStoreOptions(
    users
      .command('create')
      .description('create a user who can sign in and grant workspaces to OAuth clients; prints a generated password once')
      .requiredOption('--email <email>', 'sign-in email')
      .option('--name <name>', 'display name (default: the part of the email before @)')
      .requiredOption('--workspace <slug-or-id>', 'workspace membership (repeat or comma-separate for several)', collect)
      .addOption(new Option('--role <role>', 'role in those workspaces').choices(WORKSPACE_ROLES).default('member'))
      .option('--password-stdin', `read the password (${MIN_PASSWORD} characters at least) from standard input instead of generating one`),
  ).action(async (opts: Record<string, unknown> & { email: string; name?: string; workspace: string[]; role: WorkspaceRole; passwordStdin?: boolean }) => {
    const email = normalizeUserEmail(opts.email);
    const { password, generated } = await newPassword(io, opts.passwordStdin);
    await withStore(io, opts, 'change', async (store) => {
      const workspaceIds = await resolveWorkspaceIds(store, opts.workspace);
      const exists = await findUserByEmail(store.db, email);
      if (exists) throw new Error(`a user with email ${email} already exists (${exists.id}); add them to a workspace with \`members add\`, or give them a new password with \`users reset-password\``);
      const passwordHash = await hashPassword(password);
      const id = await store.db.transaction().execute((trx) =>
        insertUser(trx, { email, name: opts.name ?? email.split('@')[0] ?? email, passwordHash, memberships: workspaceIds.map((workspaceId) => ({ workspaceId, role: opts.role })) }),
      );
      io.err(`Created user ${id} (${email}) in ${opts.workspace.join(', ')} as ${opts.role}.\n`);
      if (generated) io.out(`Password (shown once): ${password}\n`);
    });
  });

  withStoreOptions(
    users
      .command('reset-password')
      .description('give a user a new password (generated and printed once, or from standard input) and sign them out of every browser')
      .requiredOption('--email <email>', 'the user')
      .option('--password-stdin', `read the new password (${MIN_PASSWORD} characters at least) from standard input instead of generating one`),
  ).action(async (opts: Record<string, unknown> & { email: string; passwordStdin?: boolean }) => {
    const { password, generated } = await newPassword(io, opts.passwordStdin);
    await withStore(io, opts, 'change', async (store) => {
      const user = await requireUserByEmail(store.db, opts.email);
      const passwordHash = await hashPassword(password);
      await store.db.transaction().execute(async (trx) => {
        await setPasswordHash(trx, user.id, passwordHash);
        await endSignIns(trx, user.id);
      });
      io.err(
        `New password for ${user.email}; every browser signed in as them asks for it on its next sign-in. Their OAuth connections keep working; to cut them off too: conduit-mcp-server oauth revoke --user ${user.email}\n`,
      );
      if (generated) io.out(`Password (shown once): ${password}\n`);
    });
  });

  withStoreOptions(
    users
      .command('delete')
      .description('delete a user: their memberships, OAuth connections and sign-in sessions end with them, effective on the next request')
      .requiredOption('--email <email>', 'the user'),
  ).action(async (opts: Record<string, unknown> & { email: string }) => {
    await withStore(io, opts, 'change', async (store) => {
      const user = await requireUserByEmail(store.db, opts.email);
      const result = await store.db.transaction().execute(async (trx) => {
        const memberships = await trx.selectFrom('memberships').select('workspace_id').where('user_id', '=', user.id).execute();
        const grants = await revokeGrantsOfUser(trx, user.id);
        await deleteUserRows(trx, user.id);
        return { memberships: memberships.length, grants };
      });
      io.out(
        `Deleted user ${user.id} (${user.email}): ${plural(result.memberships, 'membership')} and ${plural(result.grants, 'OAuth grant')} ended with it, and every browser signed in as them is signed out.\n`,
      );
    });
  });
  return users;
}
