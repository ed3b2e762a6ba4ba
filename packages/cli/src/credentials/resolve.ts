import { silentReporter, type Reporter } from '../output.js';
import { FileStore } from './file-store.js';
import { KeychainStore } from './keychain-store.js';
import { configDir } from './paths.js';
import type { Credential, CredentialStore, StoredEntry } from './types.js';

/** Environment variable that, when set, is the token for every server and overrides stored credentials. */
export const ENV_TOKEN = 'CONDUIT_API_TOKEN';

export type StoreMode = 'auto' | 'keychain' | 'file';

/**
 * The keychain first, the file store behind it: credentials saved while no keychain was usable stay
 * readable (and removable) once one is, and a new save moves them into the keychain.
 */
export class LayeredStore implements CredentialStore {
  readonly kind = 'layered' as const;

  constructor(
    readonly primary: KeychainStore,
    readonly fallback: FileStore,
  ) {}

  describe(): string {
    return this.primary.describe();
  }

  async get(url: string): Promise<Credential | null> {
    return (await this.primary.get(url)) ?? (await this.fallback.get(url));
  }

  async set(url: string, credential: Credential): Promise<void> {
    await this.primary.set(url, credential);
    await this.fallback.delete(url);
  }

  async delete(url: string): Promise<boolean> {
    const fromPrimary = await this.primary.delete(url);
    const fromFallback = await this.fallback.delete(url);
    return fromPrimary || fromFallback;
  }

  async list(): Promise<StoredEntry[]> {
    const primary = await this.primary.list();
    const seen = new Set(primary.map((entry) => entry.url));
    const fallback = (await this.fallback.list()).filter((entry) => !seen.has(entry.url));
    return [...primary, ...fallback];
  }
}

export interface ResolvedStore {
  store: CredentialStore;
  /** Where locks live: next to the file store (the config dir) whatever the backend. */
  configDir: string;
  /** Why the keychain is not used, when it is not. */
  keychainUnavailable?: string;
}

const resolved = new Map<string, Promise<ResolvedStore>>();

/**
 * Chooses the credential backend: `CONDUIT_CREDENTIAL_STORE=keychain|file` forces one; by default the
 * OS keychain when usable, else the file store with a one-line warning saying where. Resolved once
 * per process and configuration.
 */
export function resolveStore(env: NodeJS.ProcessEnv = process.env, reporter: Reporter = silentReporter): Promise<ResolvedStore> {
  const mode = storeMode(env);
  const dir = configDir(env);
  const cacheKey = `${mode}\u0000${dir}`;
  let pending = resolved.get(cacheKey);
  if (!pending) {
    pending = chooseStore(mode, dir, reporter);
    resolved.set(cacheKey, pending);
    pending.catch(() => resolved.delete(cacheKey));
  }
  return pending;
}

export function storeMode(env: NodeJS.ProcessEnv): StoreMode {
  const value = (env.CONDUIT_CREDENTIAL_STORE ?? 'auto').toLowerCase();
  if (value === 'auto' || value === 'keychain' || value === 'file') return value;
  throw new Error(`CONDUIT_CREDENTIAL_STORE must be auto, keychain or file (got "${env.CONDUIT_CREDENTIAL_STORE}").`);
}

async function chooseStore(mode: StoreMode, dir: string, reporter: Reporter): Promise<ResolvedStore> {
  const file = new FileStore(dir);
  if (mode === 'file') return { store: file, configDir: dir, keychainUnavailable: 'CONDUIT_CREDENTIAL_STORE=file' };
  const probe = await KeychainStore.open();
  if (probe.ok) return { store: new LayeredStore(probe.store, file), configDir: dir };
  if (mode === 'keychain') {
    throw new Error(`CONDUIT_CREDENTIAL_STORE=keychain, but the OS keychain is not usable: ${probe.reason}.`);
  }
  reporter.warn(`no usable OS keychain (${probe.reason}); credentials are stored in ${file.dir} (readable only by you).`);
  return { store: file, configDir: dir, keychainUnavailable: probe.reason };
}
