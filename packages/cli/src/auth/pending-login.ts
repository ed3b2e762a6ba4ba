import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../credentials/lock.js';
import { urlDigest } from '../credentials/types.js';

/**
 * The sign-in page of a browser login in progress, published next to the login lock so that every
 * other conduit-mcp process for the same server (a bridge in another host, a terminal `login`)
 * can hand the user that very page instead of starting a second sign-in. Completing it anywhere
 * finishes the one flow, whose loopback listener stores the credential for all of them.
 *
 * The link carries no secret (the PKCE verifier stays in the process that waits for the
 * redirect) and the file lives in the config directory (0700) with the credentials.
 */
export interface PendingLogin {
  pid: number;
  host: string;
  authorizationUrl: string;
  startedAt: string;
}

export function pendingLoginPath(configDir: string, url: string): string {
  return join(configDir, 'locks', `${urlDigest(url)}.login.pending.json`);
}

export async function publishPendingLogin(configDir: string, url: string, authorizationUrl: string): Promise<void> {
  const path = pendingLoginPath(configDir, url);
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const entry: PendingLogin = { pid: process.pid, host: hostname(), authorizationUrl, startedAt: new Date().toISOString() };
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(entry));
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** Removes the published link, if it is this process's. */
export async function clearPendingLogin(configDir: string, url: string): Promise<void> {
  const current = await readEntry(pendingLoginPath(configDir, url));
  if (current && current.pid === process.pid && current.host === hostname()) await rm(pendingLoginPath(configDir, url), { force: true });
}

/** The sign-in in progress for `url` in another live process, or null. */
export async function readPendingLogin(configDir: string, url: string): Promise<PendingLogin | null> {
  const entry = await readEntry(pendingLoginPath(configDir, url));
  if (!entry) return null;
  // A process that died mid-login leaves its file behind; its page would end on a closed port.
  if (entry.host === hostname() && (entry.pid === process.pid || !processAlive(entry.pid))) return null;
  return entry;
}

async function readEntry(path: string): Promise<PendingLogin | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<PendingLogin>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string' || typeof parsed.authorizationUrl !== 'string' || typeof parsed.startedAt !== 'string') return null;
    if (!/^https?:$/.test(new URL(parsed.authorizationUrl).protocol)) return null;
    return parsed as PendingLogin;
  } catch {
    return null;
  }
}
