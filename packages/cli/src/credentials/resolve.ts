import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentReporter, type Reporter } from '../output.js';
import { FileStore } from './file-store.js';
import { keychainFix } from './keychain-advice.js';
import { KeychainStore, type KeychainFailure } from './keychain-store.js';
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
  /** How the backend was chosen: CONDUIT_CREDENTIAL_STORE, default auto. */
  mode: StoreMode;
  /** Why the keychain is not used although it would have been (auto mode only). */
  keychainUnavailable?: { reason: string; failure: KeychainFailure };
}

const resolved = new Map<string, Promise<ResolvedStore>>();

/**
 * Chooses the credential backend: `CONDUIT_CREDENTIAL_STORE=keychain|file` forces one; by default the
 * OS keychain when usable, else the file store, with a warning saying where and how to fix it —
 * once per cause on a machine, since MCP hosts start the bridge over and over. Resolved once per
 * process and configuration.
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

/** The credential store asked for cannot be used; `problem` says why and `fix` what to do. */
export class StoreUnavailableError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}. Fix: ${fix}`);
    this.name = 'StoreUnavailableError';
  }
}

export function storeMode(env: NodeJS.ProcessEnv): StoreMode {
  const value = (env.CONDUIT_CREDENTIAL_STORE ?? 'auto').toLowerCase();
  if (value === 'auto' || value === 'keychain' || value === 'file') return value;
  throw new StoreUnavailableError(`CONDUIT_CREDENTIAL_STORE is "${env.CONDUIT_CREDENTIAL_STORE}"`, 'set it to auto, keychain or file (or unset it).');
}

async function chooseStore(mode: StoreMode, dir: string, reporter: Reporter): Promise<ResolvedStore> {
  const file = new FileStore(dir);
  if (mode === 'file') return { store: file, configDir: dir, mode };
  const probe = await KeychainStore.open();
  if (probe.ok) {
    await forgetWarning(dir);
    return { store: new LayeredStore(probe.store, file), configDir: dir, mode };
  }
  if (mode === 'keychain') {
    throw new StoreUnavailableError(`CONDUIT_CREDENTIAL_STORE=keychain, but the OS keychain is not usable: ${probe.reason}`, keychainFix(probe.failure));
  }
  if (await firstWarning(dir, probe.reason)) {
    reporter.warn(
      `no usable OS keychain: ${probe.reason}. Credentials are stored in ${file.dir} (readable only by you). ` +
        `To use the keychain, ${keychainFix(probe.failure)} This warning is not repeated; \`conduit-mcp doctor\` shows it again.`,
    );
  }
  return { store: file, configDir: dir, mode, keychainUnavailable: { reason: probe.reason, failure: probe.failure } };
}

/** Remembers, in the config dir, the keychain problem last warned about. */
function warningPath(dir: string): string {
  return join(dir, 'keychain-warning');
}

/** True the first time this reason is seen (and records it); true as well when it cannot be recorded. */
async function firstWarning(dir: string, reason: string): Promise<boolean> {
  const path = warningPath(dir);
  if ((await readFile(path, 'utf8').catch(() => null)) === `${reason}\n`) return false;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path, `${reason}\n`, { mode: 0o600 });
  } catch {
    // An unwritable config dir: warning on every run is the lesser evil.
  }
  return true;
}

/** The keychain works (again): a later problem deserves a new warning. */
async function forgetWarning(dir: string): Promise<void> {
  await rm(warningPath(dir), { force: true }).catch(() => {});
}
