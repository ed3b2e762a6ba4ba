import { KEYCHAIN_SERVICE, parseCredential, type Credential, type CredentialStore, type StoredEntry } from './types.js';

/** The subset of keytar this store uses. */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/**
 * Why the keychain cannot be used: its module (keytar, an optional native dependency) did not
 * install or cannot load — on Linux usually because libsecret is missing — or the keychain
 * service itself does not answer (no Secret Service, locked, no D-Bus session).
 */
export type KeychainFailure = 'module' | 'service';

export type KeychainProbe = { ok: true; store: KeychainStore } | { ok: false; reason: string; failure: KeychainFailure };

const PROBE_TIMEOUT_MS = 3_000;

/**
 * Credentials in the OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on
 * Linux) through keytar: service `conduit-mcp`, account = resource URL, secret = the credential JSON.
 */
export class KeychainStore implements CredentialStore {
  readonly kind = 'keychain' as const;

  constructor(private readonly keytar: KeytarApi) {}

  /**
   * Loads keytar lazily (it is an optionalDependency with a native module, so it may be missing or
   * unbuildable) and checks the keychain answers. A Secret Service that is absent or locked can make
   * the first call hang, so the probe is bounded.
   */
  static async open(): Promise<KeychainProbe> {
    let keytar: KeytarApi;
    try {
      const mod = (await import('keytar')) as unknown as { default?: KeytarApi } & KeytarApi;
      keytar = mod.default ?? mod;
    } catch (error) {
      return { ok: false, failure: 'module', reason: `its module, keytar, is not installed or cannot load (${firstLine(error)})` };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        keytar.findCredentials(KEYCHAIN_SERVICE),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
          timer.unref();
        }),
      ]);
    } catch (error) {
      return { ok: false, failure: 'service', reason: `the keychain service did not answer (${firstLine(error)})` };
    } finally {
      clearTimeout(timer);
    }
    return { ok: true, store: new KeychainStore(keytar) };
  }

  describe(): string {
    return `keychain (service ${KEYCHAIN_SERVICE})`;
  }

  async get(url: string): Promise<Credential | null> {
    const text = await this.keytar.getPassword(KEYCHAIN_SERVICE, url);
    if (text === null) return null;
    const credential = parseCredential(text);
    return credential && credential.url === url ? credential : null;
  }

  async set(url: string, credential: Credential): Promise<void> {
    await this.keytar.setPassword(KEYCHAIN_SERVICE, url, JSON.stringify(credential));
  }

  async delete(url: string): Promise<boolean> {
    return this.keytar.deletePassword(KEYCHAIN_SERVICE, url);
  }

  async list(): Promise<StoredEntry[]> {
    const found = await this.keytar.findCredentials(KEYCHAIN_SERVICE);
    const entries: StoredEntry[] = [];
    for (const { account, password } of found) {
      const credential = parseCredential(password);
      if (credential && credential.url === account) entries.push({ url: account, credential, backend: this.describe() });
    }
    return entries.sort((a, b) => a.url.localeCompare(b.url));
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}
