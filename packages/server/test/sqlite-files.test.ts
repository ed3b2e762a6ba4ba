import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirectoryWarning, openSqliteStore } from '../src/store/sqlite/open.js';

/** The SQLite files hold every customer record and the server's keys: nobody but the server reads them. */

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

let root: string;
let umask: number;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'conduit-files-'));
  umask = process.umask(0o022); // the common default, under which files are created 0644
});
afterAll(() => {
  process.umask(umask);
  rmSync(root, { recursive: true, force: true });
});

/** The database's files and those of its rate-limit bucket file (store/sqlite/bucket-file.ts). */
const SUFFIXES = ['', '-wal', '-shm', '-limits', '-limits-wal', '-limits-shm'];

async function openWriteClose(file: string): Promise<void> {
  const store = await openSqliteStore({ file });
  // A write to each, so the -wal and -shm files exist while it is open.
  await store.db.insertInto('settings').values({ key: `k${Math.random()}`, value: 'v' }).execute();
  await store.bucketDb().insertInto('rate_limit_buckets').values({ key: `k${Math.random()}`, tokens: 1, updated_ms: 0 }).execute();
  for (const suffix of SUFFIXES) expect(modeOf(`${file}${suffix}`), `${file}${suffix} while open`).toBe('600');
  await store.close();
}

describe('SQLite database files', () => {
  it('are created 0600, in a directory created 0700, whatever the umask', async () => {
    const dir = join(root, 'fresh', 'data');
    await openWriteClose(join(dir, 'conduit.db'));
    expect(modeOf(dir)).toBe('700');
    expect(dataDirectoryWarning({ dialect: 'sqlite', location: join(dir, 'conduit.db') })).toBeNull();
  });

  it('are made 0600 in a directory that already existed, including files an earlier version left 0644', async () => {
    const dir = join(root, 'existing');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const file = join(dir, 'conduit.db');
    // An earlier version's process still running (or crashed), its files left 0644.
    const earlier = await openSqliteStore({ file });
    await earlier.db.insertInto('settings').values({ key: 'earlier', value: 'v' }).execute();
    await earlier.bucketDb().insertInto('rate_limit_buckets').values({ key: 'earlier', tokens: 1, updated_ms: 0 }).execute();
    for (const suffix of SUFFIXES) chmodSync(`${file}${suffix}`, 0o644);
    await openWriteClose(file);
    await earlier.close();
    expect(modeOf(dir)).toBe('755'); // the directory is the administrator's: warned about, not changed
  });

  it('come with a warning when their directory is open to other users', () => {
    const dir = join(root, 'existing');
    const warning = dataDirectoryWarning({ dialect: 'sqlite', location: join(dir, 'conduit.db') });
    expect(warning).toBe(
      `warning: the data directory ${dir} is open to other users (mode 0755); the database files in it are private (0600), but run \`chmod 700 ${dir}\` so nobody else can list, remove or replace them`,
    );
    chmodSync(dir, 0o750);
    expect(dataDirectoryWarning({ dialect: 'sqlite', location: join(dir, 'conduit.db') })).toContain('(mode 0750)');
    chmodSync(dir, 0o711); // others may pass through, not list
    expect(dataDirectoryWarning({ dialect: 'sqlite', location: join(dir, 'conduit.db') })).toBeNull();
    expect(dataDirectoryWarning({ dialect: 'postgres', location: 'postgres://db/conduit' })).toBeNull();
  });
});
