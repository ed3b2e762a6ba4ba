import { Command } from 'commander';
import { parseStoreConfig } from '../config/server-config.js';
import { wholeNumber } from '../config/values.js';
import { seedDemo } from '../demo/seed.js';
import { openCommandStore, withStore, withStoreOptions, type CommandIo } from './context.js';
import { seedProgressReporter } from './seed-progress.js';

export function migrateCommand(io: CommandIo): Command {
  return withStoreOptions(new Command('migrate').description('apply pending database migrations and exit (creates the database if there is none)')).action(
    async (opts: Record<string, unknown>) => {
      const { store, label, migrated } = await openCommandStore(parseStoreConfig(opts, io.env), 'create');
      io.err(`database: ${label}\n`);
      try {
        io.out(migrated.length ? `Applied: ${migrated.join(', ')}\n` : 'Database is up to date.\n');
      } finally {
        await store.close();
      }
    },
  );
}

const SCALE = wholeNumber(1, 10_000);

export function seedCommand(io: CommandIo): Command {
  return withStoreOptions(
    new Command('seed')
      .description('load data into the database')
      .requiredOption('--demo', 'the demo workspaces (acme-hotels, northwind-clinic) with realistic data')
      .option('--scale <n>', 'multiply the generated volume (e.g. 300 for about a million messages, 3000 for about ten million)', '1')
      .addHelpText(
        'after',
        '\nRows are committed in batches as they are written, and progress goes to stderr (a bar on a terminal,\na line every few seconds otherwise). An interrupted seed leaves part of the demo behind: seed again\ninto an empty database.',
      ),
  ).action(async (opts: Record<string, unknown> & { scale: string }) => {
    const scale = SCALE.safeParse(opts.scale);
    if (!scale.success) throw new Error(`invalid --scale "${opts.scale}": expected a whole number from 1 to 10000`);
    await withStore(io, opts, 'create', async (store) => {
      const existing = await store.db.selectFrom('workspaces').select('id').where('slug', '=', 'acme-hotels').executeTakeFirst();
      if (existing) throw new Error('demo data already present (workspace acme-hotels exists); use a fresh --data-dir');
      const result = await seedDemo(store, { scale: scale.data, onProgress: seedProgressReporter(io.progress ?? { write: io.err }) });
      io.out(`Seeded ${result.workspaces.map((w) => w.slug).join(', ')}: ${JSON.stringify(result.counts)}\n`);
      io.out(`Demo sign-in: ${result.user.email} / ${result.user.password}\n`);
    });
  });
}
