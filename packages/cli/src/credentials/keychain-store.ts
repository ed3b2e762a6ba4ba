import { KEYCHAIN_SERVICE, parseCredential, type Credential, type CredentialStore, type StoredEntry } from './types.js';

/** The OS keychain operations this store uses, keyed by service and account. */
export interface KeychainApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/** The subset of @napi-rs/keyring (an optional dependency with prebuilt native binaries) used here. */
interface KeyringModule {
  AsyncEntry: new (
    service: string,
    account: string,
    options?: { linux?: { store?: 'secret-service' | 'keyutils' } },
  ) => {
    getPassword(): Promise<string | null>;
    setPassword(password: string): Promise<void>;
    deletePassword(): Promise<boolean>;
  };
  findCredentialsAsync(service: string): Promise<Array<{ account: string; password: string }>>;
}

/** The keychain module, named in messages. */
export const KEYCHAIN_MODULE = '@napi-rs/keyring';

/**
 * Why the keychain cannot be used: its module (@napi-rs/keyring, an optional dependency) is not
 * installed or cannot load (`module`); it installed but publishes no native binary for this
 * platform (`platform`); or the keychain service itself does not answer (`service`: no Secret
 * Service, locked, no D-Bus session).
 */
export type KeychainFailure = 'module' | 'platform' | 'service';

export type KeychainProbe = { ok: true; store: KeychainStore } | { ok: false; reason: string; failure: KeychainFailure };

const PROBE_TIMEOUT_MS = 3_000;

/**
 * The platforms @napi-rs/keyring 2.1.2 publishes a binary for (its optionalDependencies), as
 * `${process.platform}-${process.arch}`; Linux x64 and arm64 for both glibc and musl.
 */
const PLATFORMS_WITH_BINARY = new Set([
  'darwin-arm64',
  'darwin-x64',
  'linux-x64',
  'linux-arm64',
  'linux-arm',
  'linux-riscv64',
  'win32-x64',
  'win32-arm64',
  'win32-ia32',
  'freebsd-x64',
]);

/**
 * Credentials in the OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on
 * Linux) through @napi-rs/keyring: service `conduit-mcp`, account = resource URL, secret = the
 * credential JSON.
 */
export class KeychainStore implements CredentialStore {
  readonly kind = 'keychain' as const;

  constructor(private readonly keychain: KeychainApi) {}

  /**
   * Loads the keychain module lazily (an optionalDependency with a native binary, so it may be
   * missing, or have no binary for this platform) and checks the keychain answers. A Secret Service
   * that is absent or locked can make the first call hang, so the probe is bounded.
   */
  static async open(): Promise<KeychainProbe> {
    let keychain: KeychainApi;
    try {
      keychain = keyringApi((await import('@napi-rs/keyring')) as unknown as KeyringModule);
    } catch (error) {
      return loadFailure(error, `${process.platform}-${process.arch}`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        keychain.findCredentials(KEYCHAIN_SERVICE),
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
    return { ok: true, store: new KeychainStore(keychain) };
  }

  describe(): string {
    return `keychain (service ${KEYCHAIN_SERVICE})`;
  }

  async get(url: string): Promise<Credential | null> {
    const text = await this.keychain.getPassword(KEYCHAIN_SERVICE, url);
    if (text === null) return null;
    const credential = parseCredential(text);
    return credential && credential.url === url ? credential : null;
  }

  async set(url: string, credential: Credential): Promise<void> {
    await this.keychain.setPassword(KEYCHAIN_SERVICE, url, JSON.stringify(credential));
  }

  async delete(url: string): Promise<boolean> {
    return this.keychain.deletePassword(KEYCHAIN_SERVICE, url);
  }

  async list(): Promise<StoredEntry[]> {
    const found = await this.keychain.findCredentials(KEYCHAIN_SERVICE);
    const entries: StoredEntry[] = [];
    for (const { account, password } of found) {
      const credential = parseCredential(password);
      if (credential && credential.url === account) entries.push({ url: account, credential, backend: this.describe() });
    }
    return entries.sort((a, b) => a.url.localeCompare(b.url));
  }
}

/**
 * The module's entries, pinned on Linux to the Secret Service: its default falls back to the
 * kernel keyring (keyutils), which forgets everything at reboot — the file store, with its
 * warning, is the better fallback. Pinned, an entry's constructor throws when no D-Bus session
 * can be reached, so every call runs inside an async function and fails as a rejection.
 */
function keyringApi(keyring: KeyringModule): KeychainApi {
  const entry = (service: string, account: string) => new keyring.AsyncEntry(service, account, { linux: { store: 'secret-service' } });
  return {
    getPassword: async (service, account) => entry(service, account).getPassword(),
    setPassword: async (service, account, password) => entry(service, account).setPassword(password),
    deletePassword: async (service, account) => entry(service, account).deletePassword(),
    findCredentials: async (service) => keyring.findCredentialsAsync(service),
  };
}

/** Why the module did not load, in words a user can act on. */
export function loadFailure(error: unknown, platform: string): { ok: false; reason: string; failure: KeychainFailure } {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return { ok: false, failure: 'module', reason: `its optional module, ${KEYCHAIN_MODULE}, is not installed (${firstLine(error)})` };
  }
  // The module loads its binary from a per-platform package; npm installs only the one matching
  // this machine, and none where the module publishes none.
  if (/Cannot find native binding|Failed to load native binding/.test(firstLine(error))) {
    if (!PLATFORMS_WITH_BINARY.has(platform)) {
      return { ok: false, failure: 'platform', reason: `its module, ${KEYCHAIN_MODULE}, has no native binary for ${platform}` };
    }
    return { ok: false, failure: 'module', reason: `its module, ${KEYCHAIN_MODULE}, installed without its native binary for ${platform} (${bindingCause(error)})` };
  }
  return { ok: false, failure: 'module', reason: `its module, ${KEYCHAIN_MODULE}, cannot load (${firstLine(error)})` };
}

/** Among the load errors the module chains as causes, the one about this platform's binary package. */
function bindingCause(error: unknown): string {
  const messages: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 20; current = current.cause, depth += 1) messages.push(firstLine(current));
  return messages.find((message) => /@napi-rs\/keyring-(?!wasm32)/.test(message)) ?? messages[0] ?? 'unknown error';
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}
