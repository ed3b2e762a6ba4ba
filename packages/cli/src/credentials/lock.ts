import { hostname } from 'node:os';
import { mkdir, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { urlDigest } from './types.js';

export class LockTimeoutError extends Error {
  constructor(readonly path: string, waitedMs: number) {
    super(`Gave up after ${Math.round(waitedMs / 1000)} s waiting for another conduit-mcp process (lock ${path}).`);
    this.name = 'LockTimeoutError';
  }
}

export interface LockOptions {
  /** How long to wait for the lock before giving up. */
  timeoutMs: number;
  /** A lock whose holder stopped refreshing it for this long is taken over (covers a holder on another host). */
  staleMs?: number;
  /** Called once, when the lock is busy and this process starts waiting. */
  onWait?: (holder: LockHolder | null) => void;
}

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

const POLL_MIN_MS = 20;
const POLL_MAX_MS = 200;

/** The lock file for one purpose ("refresh", "login") on one server, in `<configDir>/locks/`. */
export function lockPath(configDir: string, purpose: string, url: string): string {
  return join(configDir, 'locks', `${urlDigest(url)}.${purpose}.lock`);
}

/**
 * Runs `fn` while holding an exclusive cross-process lock: a file created with O_EXCL that names its
 * holder. Waiters poll; a lock whose holder process is gone (same host) or that was not touched for
 * `staleMs` is taken over, so a crashed process never blocks the others for good. The holder touches
 * the file periodically while `fn` runs.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
  const staleMs = options.staleMs ?? 120_000;
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const started = Date.now();
  let delay = POLL_MIN_MS;
  let announced = false;
  for (;;) {
    if (await tryCreate(path)) break;
    const holder = await readHolder(path);
    if (await isStale(path, holder, staleMs)) {
      await takeOver(path);
      continue;
    }
    if (!announced) {
      announced = true;
      options.onWait?.(holder);
    }
    if (Date.now() - started >= options.timeoutMs) throw new LockTimeoutError(path, Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(POLL_MAX_MS, delay * 2);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, Math.max(1_000, Math.floor(staleMs / 3)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await release(path);
  }
}

/**
 * The holder of the lock at `path` while a live process holds it, else null (no lock, or one whose
 * holder is gone or stopped refreshing it for `staleMs`: the next `withFileLock` takes that over).
 * A lock still being written names no holder yet (`{}`).
 */
export async function liveHolder(path: string, staleMs: number): Promise<Partial<LockHolder> | null> {
  try {
    await stat(path);
  } catch {
    return null;
  }
  const holder = await readHolder(path);
  return (await isStale(path, holder, staleMs)) ? null : (holder ?? {});
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await handle.writeFile(JSON.stringify(holder));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? (parsed as LockHolder) : null;
  } catch {
    return null; // being written or just removed
  }
}

async function isStale(path: string, holder: LockHolder | null, staleMs: number): Promise<boolean> {
  if (holder && holder.host === hostname() && !processAlive(holder.pid)) return true;
  try {
    const info = await stat(path);
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    return false; // gone: the next tryCreate decides
  }
}

/** Whether a process with this id runs on this host (one we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Moves the stale lock aside before deleting it, so two waiters cannot both delete a fresh lock. */
async function takeOver(path: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${Date.now()}`;
  try {
    await rename(path, aside);
  } catch {
    return; // another waiter took it over first
  }
  await rm(aside, { force: true });
}

async function release(path: string): Promise<void> {
  const holder = await readHolder(path);
  if (holder && holder.pid === process.pid && holder.host === hostname()) await rm(path, { force: true });
}
