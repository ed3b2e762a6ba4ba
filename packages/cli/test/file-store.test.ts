import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/credentials/file-store.js';
import { lockPath, LockTimeoutError, withFileLock } from '../src/credentials/lock.js';
import { configDir } from '../src/credentials/paths.js';
import type { ApiTokenCredential } from '../src/credentials/types.js';
import { tempDir } from './helpers/cli.js';

const URL_A = 'https://api.example.test/v1/mcp';
const URL_B = 'http://127.0.0.1:8787/v1/mcp';

function apiToken(url: string, token = 'capi_secret_value'): ApiTokenCredential {
  return { version: 1, kind: 'api_token', url, obtainedAt: new Date().toISOString(), token };
}

describe('file credential store', () => {
  it('creates the directory 0700 and each credential file 0600, whatever the umask', async () => {
    const dir = tempDir();
    const previous = process.umask(0o000);
    try {
      const store = new FileStore(dir);
      await store.set(URL_A, apiToken(URL_A));
      expect(statSync(store.dir).mode & 0o777).toBe(0o700);
      expect(statSync(store.pathFor(URL_A)).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('tightens an existing directory that is readable by others', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'credentials'), { mode: 0o755 });
    chmodSync(join(dir, 'credentials'), 0o755);
    const store = new FileStore(dir);
    await store.set(URL_A, apiToken(URL_A));
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
  });

  it('keeps one file per server, reads back, lists and deletes, leaving no temporary files', async () => {
    const store = new FileStore(tempDir());
    await store.set(URL_A, apiToken(URL_A, 'capi_a'));
    await store.set(URL_B, apiToken(URL_B, 'capi_b'));
    await store.set(URL_A, apiToken(URL_A, 'capi_a2'));
    expect(await store.get(URL_A)).toMatchObject({ token: 'capi_a2' });
    expect((await store.list()).map((e) => e.url).sort()).toEqual([URL_A, URL_B].sort());
    expect(readdirSync(store.dir).filter((name) => !name.endsWith('.json'))).toEqual([]);
    expect(await store.delete(URL_A)).toBe(true);
    expect(await store.delete(URL_A)).toBe(false);
    expect(await store.get(URL_A)).toBeNull();
    expect((await store.list()).map((e) => e.url)).toEqual([URL_B]);
  });

  it('treats a corrupt or foreign file as no credential', async () => {
    const store = new FileStore(tempDir());
    await store.set(URL_A, apiToken(URL_A));
    writeFileSync(store.pathFor(URL_A), '{ not json');
    expect(await store.get(URL_A)).toBeNull();
    writeFileSync(store.pathFor(URL_A), JSON.stringify(apiToken(URL_B)));
    expect(await store.get(URL_A)).toBeNull();
  });

  it('writes the credential JSON that a later version can read (versioned record)', async () => {
    const store = new FileStore(tempDir());
    await store.set(URL_A, apiToken(URL_A));
    expect(JSON.parse(readFileSync(store.pathFor(URL_A), 'utf8'))).toMatchObject({ version: 1, kind: 'api_token', url: URL_A });
  });
});

describe('config directory', () => {
  it('is $CONDUIT_CONFIG_DIR, else $XDG_CONFIG_HOME/conduit-mcp, else ~/.config/conduit-mcp', () => {
    expect(configDir({ CONDUIT_CONFIG_DIR: '/c', XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(configDir({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/conduit-mcp');
    expect(configDir({ HOME: '/h' })).toBe('/h/.config/conduit-mcp');
  });
});

describe('cross-process lock', () => {
  it('runs holders one at a time', async () => {
    const path = lockPath(tempDir(), 'refresh', URL_A);
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        withFileLock(
          path,
          async () => {
            inside += 1;
            maxInside = Math.max(maxInside, inside);
            await new Promise((resolve) => setTimeout(resolve, 30));
            order.push(n);
            inside -= 1;
          },
          { timeoutMs: 5_000 },
        ),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order.sort()).toEqual([1, 2, 3]);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const path = lockPath(tempDir(), 'login', URL_A);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: new Date().toISOString() }));
    await expect(withFileLock(path, async () => 'ran', { timeoutMs: 2_000 })).resolves.toBe('ran');
  });

  it('gives up after the timeout while a live process holds it, and tells the waiter who holds it', async () => {
    const path = lockPath(tempDir(), 'login', URL_A);
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const held = withFileLock(
      path,
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
          entered();
        }),
      { timeoutMs: 1_000 },
    );
    // Holding it for sure (a fixed sleep could end before a busy machine has taken the lock).
    await inside;
    const holders: Array<number | undefined> = [];
    const waiting = withFileLock(path, async () => 'never', { timeoutMs: 200, onWait: (holder) => holders.push(holder?.pid) });
    await expect(waiting).rejects.toBeInstanceOf(LockTimeoutError);
    expect(holders).toEqual([process.pid]);
    release();
    await held;
    await expect(withFileLock(path, async () => 'free again', { timeoutMs: 1_000 })).resolves.toBe('free again');
  });
});
