import { randomBytes } from 'node:crypto';
import type { Store } from './store.js';

/**
 * A random server key kept in the database, created on first use. Keeping it there (not in
 * process memory) means replicas sharing one database accept each other's cursors and a
 * restart does not invalidate them.
 */
export async function serverKey(store: Store, name: string): Promise<Buffer> {
  const existing = await store.db.selectFrom('settings').select('value').where('key', '=', name).executeTakeFirst();
  if (existing) return Buffer.from(existing.value, 'base64');
  const value = randomBytes(32).toString('base64');
  // Two processes may race to create it: the first insert wins and both read the winner back.
  await store.db.insertInto('settings').values({ key: name, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await store.db.selectFrom('settings').select('value').where('key', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64');
}
