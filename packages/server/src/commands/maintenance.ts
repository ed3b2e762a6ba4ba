import { Command } from 'commander';
import { seedDemo } from '../demo/seed.js';
import { migrateStore, openStore } from '../store/open.js';
import { withStore, withStoreOptions, type StoreOptions } from './context.js';
import { seedProgressReporter } from './seed-progress.js';

export function migrateCommand(): Command {
  return withStoreOptions(new Command('migrate').description('apply pending database migrations and exit')).action(async (opts: StoreOptions) => {
    const store = await openStore({ dataDir: opts.dataDir, database: opts.database, migrate: false });
    try {
      const applied = await migrateStore(store);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n');
    } finally {
      await store.close();
    }
  });
}

export function seedCommand(): Command {
  return withStoreOptions(
    new Command('seed')
      .description('load data into the database')
      .requiredOption('--demo', 'the demo workspaces (acme-hotels, northwind-clinic) with realistic data')
      .option('--scale <n>', 'multiply the generated volume (e.g. 300 for about a million messages, 3000 for about ten million)', '1')
      .addHelpText(
        'after',
        '\nRows are committed in batches as they are written, and progress goes to stderr (a bar on a terminal,\na line every few seconds otherwise). An interrupted seed leaves part of the demo behind: seed again\ninto an empty database.',
      ),
  ).action(async (opts: StoreOptions & { scale: string }) => {
    const scale = Number(opts.scale);
    if (!Number.isInteger(scale) || scale < 1) throw new Error(`--scale must be a whole number ≥ 1, got "${opts.scale}"`);
    await withStore(opts, async (store) => {
      const existing = await store.db.selectFrom('workspaces').select('id').where('slug', '=', 'acme-hotels').executeTakeFirst();
      if (existing) throw new Error('demo data already present (workspace acme-hotels exists); use a fresh --data-dir');
      const result = await seedDemo(store, { scale, onProgress: seedProgressReporter(process.stderr) });
      process.stdout.write(`Seeded ${result.workspaces.map((w) => w.slug).join(', ')}: ${JSON.stringify(result.counts)}\n`);
      process.stdout.write(`Demo sign-in: ${result.user.email} / ${result.user.password}\n`);
    });
  });
}
