import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { hashPassword } from '../auth/passwords.js';
import { normalizeEmail } from '../core/normalize.js';
import { base32, newId, nowIso } from '../ids.js';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../store/schema.js';
import { resolveWorkspaceIds, withStore, withStoreOptions, type StoreOptions } from './context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function usersCommand(): Command {
  const users = new Command('users').description('list and create users who sign in on the OAuth consent pages');

  withStoreOptions(users.command('list').description('list users and their workspaces')).action(async (opts: StoreOptions) => {
    await withStore(opts, async (store) => {
      const rows = await store.db
        .selectFrom('users as u')
        .leftJoin('memberships as m', 'm.user_id', 'u.id')
        .leftJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .select(['u.id', 'u.email', 'u.name', 'w.slug', 'm.role'])
        .orderBy('u.email')
        .execute();
      if (rows.length === 0) return void process.stdout.write('No users. Create one with `users create`.\n');
      const byUser = new Map<string, { email: string; name: string; grants: string[] }>();
      for (const r of rows) {
        const entry = byUser.get(r.id) ?? { email: r.email, name: r.name, grants: [] };
        if (r.slug) entry.grants.push(`${r.slug}(${r.role})`);
        byUser.set(r.id, entry);
      }
      for (const [id, u] of byUser) process.stdout.write(`${id}  ${u.email}  "${u.name}"  ${u.grants.join(', ')}\n`);
    });
  });

  withStoreOptions(
    users
      .command('create')
      .description('create a user who can sign in and grant workspaces to OAuth clients')
      .requiredOption('--email <email>', 'sign-in email')
      .option('--name <name>', 'display name (default: the part of the email before @)')
      .requiredOption('--workspace <slug-or-id>', 'workspace membership (repeat for several)', (v: string, p: string[]) => [...p, v], [])
      .addOption(new Option('--role <role>', 'role in those workspaces').choices(WORKSPACE_ROLES).default('member'))
      .option('--password-stdin', 'read the password from standard input instead of generating one'),
  ).action(async (opts: StoreOptions & { email: string; name?: string; workspace: string[]; role: WorkspaceRole; passwordStdin?: boolean }) => {
    const email = normalizeEmail(opts.email);
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`invalid email "${opts.email}"`);
    const generated = !opts.passwordStdin;
    const password = generated ? base32(randomBytes(12)) : await readStdin();
    if (password.length < 12) throw new Error('password must be at least 12 characters');
    await withStore(opts, async (store) => {
      const workspaceIds = await resolveWorkspaceIds(store, opts.workspace);
      const exists = await store.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
      if (exists) throw new Error(`a user with email ${email} already exists (${exists.id})`);
      const id = newId('us');
      const passwordHash = await hashPassword(password);
      await store.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values({ id, email, name: opts.name ?? email.split('@')[0] ?? email, password_hash: passwordHash, created_at: nowIso() }).execute();
        await trx.insertInto('memberships').values(workspaceIds.map((workspace_id) => ({ user_id: id, workspace_id, role: opts.role }))).execute();
      });
      process.stderr.write(`Created user ${id} (${email}) in ${opts.workspace.join(', ')}.\n`);
      if (generated) process.stdout.write(`Password (shown once): ${password}\n`);
    });
  });
  return users;
}
