import { Command } from 'commander';
import { newId, nowIso } from '../ids.js';
import { withStore, withStoreOptions, type CommandIo } from './context.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function workspacesCommand(io: CommandIo): Command {
  const workspaces = new Command('workspaces').description('list and create workspaces');

  withStoreOptions(workspaces.command('list').description('list workspaces')).action(async (opts: Record<string, unknown>) => {
    await withStore(io, opts, 'read', async (store) => {
      const rows = await store.db.selectFrom('workspaces').selectAll().orderBy('slug').execute();
      if (rows.length === 0) return void io.out('No workspaces. Create one with `workspaces create` or `seed --demo`.\n');
      for (const w of rows) io.out(`${w.id}  ${w.slug}  "${w.name}"\n`);
    });
  });

  withStoreOptions(
    workspaces
      .command('create')
      .description('create a workspace (and the database, if there is none yet)')
      .requiredOption('--slug <slug>', 'lower-case letters, digits and dashes, e.g. acme-hotels')
      .requiredOption('--name <name>', 'display name'),
  ).action(async (opts: Record<string, unknown> & { slug: string; name: string }) => {
    if (!SLUG.test(opts.slug)) throw new Error(`invalid --slug "${opts.slug}": use lower-case letters, digits and dashes`);
    if (!opts.name.trim()) throw new Error('invalid --name: give the workspace a display name');
    await withStore(io, opts, 'create', async (store) => {
      const exists = await store.db.selectFrom('workspaces').select('id').where('slug', '=', opts.slug).executeTakeFirst();
      if (exists) throw new Error(`workspace ${opts.slug} already exists (${exists.id})`);
      const id = newId('wp');
      await store.db.insertInto('workspaces').values({ id, slug: opts.slug, name: opts.name.trim(), created_at: nowIso() }).execute();
      io.out(`${id}\n`);
    });
  });
  return workspaces;
}
