import { Command, Option } from 'commander';
import { addMembership, membershipRole, removeMembership, requireUserByEmail, setMembershipRole } from '../auth/users.js';
import { withdrawWorkspaceFromGrants } from '../oauth/revocation.js';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { collect, resolveWorkspaceIds, withStore, withStoreOptions, type CommandIo } from './context.js';

interface MemberTarget {
  user: { id: string; email: string };
  workspaces: Array<{ id: string; slug: string }>;
}

async function target(store: Store, email: string, refs: string[]): Promise<MemberTarget> {
  const user = await requireUserByEmail(store.db, email);
  const ids = await resolveWorkspaceIds(store, refs);
  const rows = await store.db.selectFrom('workspaces').select(['id', 'slug']).where('id', 'in', ids).execute();
  return { user, workspaces: ids.map((id) => rows.find((w) => w.id === id)!) };
}

const roleOption = (description: string) => new Option('--role <role>', description).choices(WORKSPACE_ROLES);

/** `conduit-mcp-server members …`: who belongs to which workspace, with which role. */
export function membersCommand(io: CommandIo): Command {
  const members = new Command('members').description("add users to workspaces, change their role, remove them (a removed member's OAuth clients lose that workspace on their next request)");

  withStoreOptions(
    members.command('list').description('list the members of a workspace and their roles').requiredOption('--workspace <slug-or-id>', 'the workspace').option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown> & { workspace: string; json?: boolean }) => {
    await withStore(io, opts, 'read', async (store) => {
      const [workspaceId] = await resolveWorkspaceIds(store, [opts.workspace]);
      const rows = await store.db
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['u.id', 'u.email', 'u.name', 'm.role'])
        .where('m.workspace_id', '=', workspaceId!)
        .orderBy('u.email')
        .execute();
      if (opts.json) return void io.out(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0) return void io.out(`No members in ${opts.workspace}. Add one with \`members add\` or \`users create\`.\n`);
      for (const r of rows) io.out(`${r.id}  ${r.email}  ${r.role.padEnd(6)}  "${r.name}"\n`);
    });
  });

  withStoreOptions(
    members
      .command('add')
      .description('add an existing user to workspaces (new users: `users create`)')
      .requiredOption('--email <email>', 'the user')
      .requiredOption('--workspace <slug-or-id>', 'workspace (repeat or comma-separate for several)', collect)
      .addOption(roleOption('role in those workspaces').default('member')),
  ).action(async (opts: Record<string, unknown> & { email: string; workspace: string[]; role: WorkspaceRole }) => {
    await withStore(io, opts, 'change', async (store) => {
      const t = await target(store, opts.email, opts.workspace);
      await store.db.transaction().execute(async (trx) => {
        for (const w of t.workspaces) {
          const role = await membershipRole(trx, t.user.id, w.id);
          if (role) throw new Error(`${t.user.email} is already a member of ${w.slug} (${role}); change the role with \`members role\``);
          await addMembership(trx, t.user.id, w.id, opts.role);
        }
      });
      io.out(`Added ${t.user.email} to ${t.workspaces.map((w) => w.slug).join(', ')} as ${opts.role}.\n`);
    });
  });

  withStoreOptions(
    members
      .command('role')
      .description("change a member's role in workspaces")
      .requiredOption('--email <email>', 'the member')
      .requiredOption('--workspace <slug-or-id>', 'workspace (repeat or comma-separate for several)', collect)
      .addOption(roleOption('the new role').makeOptionMandatory()),
  ).action(async (opts: Record<string, unknown> & { email: string; workspace: string[]; role: WorkspaceRole }) => {
    await withStore(io, opts, 'change', async (store) => {
      const t = await target(store, opts.email, opts.workspace);
      const changes = await store.db.transaction().execute(async (trx) => {
        const lines: string[] = [];
        for (const w of t.workspaces) {
          const role = await membershipRole(trx, t.user.id, w.id);
          if (!role) throw new Error(`${t.user.email} is not a member of ${w.slug}; add them with \`members add\``);
          await setMembershipRole(trx, t.user.id, w.id, opts.role);
          lines.push(role === opts.role ? `${w.slug}: already ${role}` : `${w.slug}: ${role} → ${opts.role}`);
        }
        return lines;
      });
      io.out(`${t.user.email}: ${changes.join('; ')}.\n`);
    });
  });

  withStoreOptions(
    members
      .command('remove')
      .description("remove a user from workspaces; their OAuth clients lose those workspaces on their next request, for good")
      .requiredOption('--email <email>', 'the member')
      .requiredOption('--workspace <slug-or-id>', 'workspace (repeat or comma-separate for several)', collect),
  ).action(async (opts: Record<string, unknown> & { email: string; workspace: string[] }) => {
    await withStore(io, opts, 'change', async (store) => {
      const t = await target(store, opts.email, opts.workspace);
      const withdrawn = await store.db.transaction().execute(async (trx) => {
        let grants = 0;
        for (const w of t.workspaces) {
          if (!(await membershipRole(trx, t.user.id, w.id))) throw new Error(`${t.user.email} is not a member of ${w.slug} (see \`members list --workspace ${w.slug}\`)`);
          await removeMembership(trx, t.user.id, w.id);
          grants += await withdrawWorkspaceFromGrants(trx, t.user.id, w.id);
        }
        return grants;
      });
      io.out(
        `Removed ${t.user.email} from ${t.workspaces.map((w) => w.slug).join(', ')}; ${withdrawn} OAuth grant${withdrawn === 1 ? '' : 's'} no longer reach${withdrawn === 1 ? 'es' : ''} ${t.workspaces.length === 1 ? 'it' : 'them'}.\n`,
      );
    });
  });
  return members;
}
