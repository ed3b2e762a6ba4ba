import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCredential, urlDigest, type Credential, type CredentialStore, type StoredEntry } from './types.js';

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Credentials as one JSON file per server under `<configDir>/credentials/` (dir 0700, files 0600).
 * One file per server means two processes writing credentials for different servers never
 * overwrite each other; writes for the same server are serialised by the refresh/login locks.
 * Every write goes to a private temporary file first and is renamed into place, so a reader never
 * sees half a file and a crash never leaves a truncated credential.
 */
export class FileStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'credentials');
  }

  describe(): string {
    return `file store ${this.dir}`;
  }

  pathFor(url: string): string {
    return join(this.dir, `${urlDigest(url)}.json`);
  }

  async get(url: string): Promise<Credential | null> {
    let text: string;
    try {
      text = await readFile(this.pathFor(url), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const credential = parseCredential(text);
    return credential && credential.url === url ? credential : null;
  }

  async set(url: string, credential: Credential): Promise<void> {
    await this.ensureDir();
    const target = this.pathFor(url);
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    // Created with 0600 from the first byte: the secret is never readable by others, not even briefly.
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(`${JSON.stringify(credential, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, FILE_MODE); // a umask cannot widen it, but make the mode explicit anyway
    await rename(temp, target);
  }

  async delete(url: string): Promise<boolean> {
    try {
      await rm(this.pathFor(url));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async list(): Promise<StoredEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const entries: StoredEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const credential = parseCredential(await readFile(join(this.dir, name), 'utf8').catch(() => ''));
      if (credential) entries.push({ url: credential.url, credential, backend: this.describe() });
    }
    return entries;
  }

  /** Creates the directory 0700, and tightens it if it already existed with a looser mode. */
  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: DIR_MODE });
    const info = await stat(this.dir);
    if ((info.mode & 0o777) !== DIR_MODE) await chmod(this.dir, DIR_MODE);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}
