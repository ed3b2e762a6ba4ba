// Runs against a real Secret Service: gnome-keyring in a private D-Bus session. `pnpm test:keychain`
// (or the repository's test runner) starts one and sets CONDUIT_TEST_KEYCHAIN=1; anywhere else these
// tests are skipped with a line saying why (a failure under CONDUIT_REQUIRE_SERVICES=1), and nowhere
// do they touch a developer's own keyring.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { keychainFix } from '../src/credentials/keychain-advice.js';
import { KeychainStore, loadFailure } from '../src/credentials/keychain-store.js';
import { LayeredStore, resolveStore } from '../src/credentials/resolve.js';
import { FileStore } from '../src/credentials/file-store.js';
import type { ApiTokenCredential } from '../src/credentials/types.js';
import { silentReporter } from '../src/output.js';
import { cliEnv, copyInstall, runBin, runCli, tempDir } from './helpers/cli.js';
import { startPeer, type Peer } from './helpers/oauth-peer.js';

const underKeyring = useService('keychain', import.meta.url).available;

function apiToken(url: string, token: string): ApiTokenCredential {
  return { version: 1, kind: 'api_token', url, obtainedAt: new Date().toISOString(), token };
}

describe.skipIf(!underKeyring)('OS keychain store (gnome-keyring over D-Bus)', () => {
  let keychain: KeychainStore;
  let peer: Peer;

  beforeAll(async () => {
    const probe = await KeychainStore.open();
    if (!probe.ok) throw new Error(`a keyring session was started but the keychain is unusable: ${probe.reason}`);
    keychain = probe.store;
    peer = await startPeer();
  });
  afterAll(() => peer?.close());

  it('stores, reads, lists and deletes under service conduit-mcp with the URL as account', async () => {
    const url = `https://keychain-${Date.now()}.test/v1/mcp`;
    await keychain.set(url, apiToken(url, 'capi_keychain'));
    expect(await keychain.get(url)).toMatchObject({ kind: 'api_token', token: 'capi_keychain' });
    expect((await keychain.list()).map((e) => e.url)).toContain(url);
    // Read back through the module itself: the Secret Service item is service conduit-mcp, account = URL.
    const { AsyncEntry } = await import('@napi-rs/keyring');
    const entry = new AsyncEntry('conduit-mcp', url, { linux: { store: 'secret-service' } });
    expect(JSON.parse((await entry.getPassword())!)).toMatchObject({ url });
    expect(await keychain.delete(url)).toBe(true);
    expect(await keychain.get(url)).toBeNull();
  });

  it('is chosen by default, with the file store behind it for older credentials', async () => {
    const dir = tempDir();
    const resolved = await resolveStore({ CONDUIT_CONFIG_DIR: dir }, silentReporter);
    expect(resolved.store).toBeInstanceOf(LayeredStore);
    expect(resolved.keychainUnavailable).toBeUndefined();

    const url = `https://layered-${Date.now()}.test/v1/mcp`;
    const file = new FileStore(dir);
    await file.set(url, apiToken(url, 'capi_old_file'));
    expect(await resolved.store.get(url)).toMatchObject({ token: 'capi_old_file' });
    await resolved.store.set(url, apiToken(url, 'capi_new'));
    expect(await keychain.get(url)).toMatchObject({ token: 'capi_new' });
    expect(await file.get(url)).toBeNull(); // moved into the keychain
    await resolved.store.delete(url);
  });

  it('the CLI keeps an OAuth login in the keychain (no credential file, no warning) and shares it across processes', async () => {
    const dir = tempDir();
    const env = cliEnv(dir, { CONDUIT_CREDENTIAL_STORE: 'auto' });
    const login = await runCli(['login', '--url', peer.mcpUrl], env);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).not.toContain('no usable OS keychain');
    expect(login.stderr).toContain('credentials stored in keychain (service conduit-mcp)');
    expect(existsSync(join(dir, 'credentials'))).toBe(false);
    expect(await keychain.get(peer.mcpUrl)).toMatchObject({ kind: 'oauth', url: peer.mcpUrl });

    const status = await runCli(['status', '--url', peer.mcpUrl], env);
    expect(status.stdout).toMatch(/storage\s+keychain \(service conduit-mcp\)/);
    const token = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(peer.isActive(token.stdout.trim())).toBe(true);

    const logout = await runCli(['logout', '--url', peer.mcpUrl], env);
    expect(logout.code).toBe(0);
    expect(await keychain.get(peer.mcpUrl)).toBeNull();
  });
});

describe('without a usable keychain', () => {
  const noKeychain = { CONDUIT_CREDENTIAL_STORE: 'auto', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' };
  const warningsIn = (stderr: string) => stderr.split('\n').filter((line) => line.includes('no usable OS keychain'));

  // Needs the keychain module to load, so that the cause is the Secret Service (the keychain service check covers the module).
  it.skipIf(!underKeyring)('falls back to the file store and warns once per machine, saying where and how to fix it', async () => {
    const dir = tempDir();
    const env = cliEnv(dir, noKeychain);
    const first = await runCli(['status'], env);
    const warnings = warningsIn(first.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(dir, 'credentials'));
    expect(warnings[0]).toContain('run a Secret Service keyring (gnome-keyring or KWallet) in your D-Bus session and unlock it; or set CONDUIT_CREDENTIAL_STORE=file to choose the file store');
    expect(warnings[0]).toContain('This warning is not repeated; `conduit-mcp doctor` shows it again.');
    for (const args of [['status'], ['token', '--url', 'http://127.0.0.1:1/v1/mcp'], ['logout']]) {
      expect(warningsIn((await runCli(args, env)).stderr), args.join(' ')).toEqual([]);
    }
    const doctor = await runCli(['doctor', '--url', 'http://127.0.0.1:1/v1/mcp'], env);
    expect(doctor.stdout).toMatch(/^warn keychain +not usable: .*; credentials are kept in the file store .* Fix: run a Secret Service keyring/m);
  });

  it('says nothing when the file store was chosen with CONDUIT_CREDENTIAL_STORE=file', async () => {
    const env = cliEnv(tempDir(), { ...noKeychain, CONDUIT_CREDENTIAL_STORE: 'file' });
    expect((await runCli(['status'], env)).stderr).toBe('');
  });

  it('an install without the optional keychain module (npm --omit=optional) says so and how to fix it, once', async () => {
    const bin = copyInstall({ omit: ['@napi-rs/keyring'] });
    const env = cliEnv(tempDir(), { CONDUIT_CREDENTIAL_STORE: 'auto' });
    const first = await runBin(bin, ['status'], env);
    expect(first.code, first.stderr).toBe(0);
    const warnings = warningsIn(first.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("no usable OS keychain: its optional module, @napi-rs/keyring, is not installed (Cannot find package '@napi-rs/keyring'");
    expect(warnings[0]).toContain('To use the keychain, reinstall conduit-mcp with its optional dependencies (not --omit=optional), which bring the keychain module @napi-rs/keyring; or set CONDUIT_CREDENTIAL_STORE=file');
    expect(warningsIn((await runBin(bin, ['status'], env)).stderr)).toEqual([]);
    const doctor = await runBin(bin, ['doctor', '--url', 'http://127.0.0.1:1/v1/mcp'], env);
    expect(doctor.stdout).toMatch(/^warn keychain +not usable: its optional module, @napi-rs\/keyring, is not installed .* Fix: reinstall conduit-mcp with its optional dependencies/m);
    expect((await runBin(bin, ['status'], { ...env, CONDUIT_CREDENTIAL_STORE: 'file' })).stderr).toBe('');
  });

  it('an install where npm put no native binary for this platform falls back to the file store, warns once, and logs in', async () => {
    const bin = copyInstall({ withoutBinary: ['@napi-rs/keyring'] });
    const dir = tempDir();
    const env = cliEnv(dir, { CONDUIT_CREDENTIAL_STORE: 'auto' });
    const first = await runBin(bin, ['status'], env);
    expect(first.code, first.stderr).toBe(0);
    const warnings = warningsIn(first.stderr);
    expect(warnings).toHaveLength(1);
    const platform = `${process.platform}-${process.arch}`;
    expect(warnings[0]).toContain(`no usable OS keychain: its module, @napi-rs/keyring, installed without its native binary for ${platform} (Cannot find module '@napi-rs/keyring-${platform}`);
    expect(warnings[0]).toContain(`Credentials are stored in ${join(dir, 'credentials')} (readable only by you)`);
    expect(warnings[0]).toContain('To use the keychain, reinstall conduit-mcp with its optional dependencies');
    // The file store carries a real login; status says where it lives; no warning again.
    const peer = await startPeer();
    try {
      const login = await runBin(bin, ['login', '--url', peer.mcpUrl], env);
      expect(login.code, login.stderr).toBe(0);
      expect(warningsIn(login.stderr)).toEqual([]);
      expect(await new FileStore(dir).get(peer.mcpUrl)).toMatchObject({ kind: 'oauth', url: peer.mcpUrl });
      const status = await runBin(bin, ['status', '--url', peer.mcpUrl], env);
      expect(status.stdout.split('\n').find((line) => /^\s*storage\s/.test(line))).toContain(`file store ${join(dir, 'credentials')}`);
      expect(warningsIn(status.stderr)).toEqual([]);
    } finally {
      peer.close();
    }
  });
});

describe('the keychain module failing to load', () => {
  const notFound = (message: string) => Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND' });
  const noBinding = () => {
    const chain = ["Cannot find module './keyring.aix-ppc64.node'", "Cannot find module '@napi-rs/keyring-aix-ppc64'", "Cannot find module '@napi-rs/keyring-wasm32-wasi'"].reduce<Error | undefined>(
      (cause, message) => Object.assign(new Error(message), { cause }),
      undefined,
    );
    return Object.assign(new Error('Cannot find native binding. npm has a bug related to optional dependencies (https://github.com/npm/cli/issues/4828).'), { cause: chain });
  };

  it('names a platform the module publishes no binary for, and the file store as the way out', () => {
    const failure = loadFailure(noBinding(), 'aix-ppc64');
    expect(failure).toEqual({ ok: false, failure: 'platform', reason: 'its module, @napi-rs/keyring, has no native binary for aix-ppc64' });
    expect(keychainFix('platform', 'aix')).toBe(
      'run conduit-mcp on a platform @napi-rs/keyring publishes a binary for (macOS, Windows, Linux on x64, arm64, armv7 or riscv64, FreeBSD x64); or set CONDUIT_CREDENTIAL_STORE=file to choose the file store.',
    );
  });

  it('on a platform with a binary, names the missing binary package (npm left it out) and the reinstall', () => {
    const error = noBinding();
    (error.cause as Error & { cause: Error }).cause.message = "Cannot find module '@napi-rs/keyring-linux-x64-gnu'";
    expect(loadFailure(error, 'linux-x64')).toEqual({
      ok: false,
      failure: 'module',
      reason: "its module, @napi-rs/keyring, installed without its native binary for linux-x64 (Cannot find module '@napi-rs/keyring-linux-x64-gnu')",
    });
  });

  it('tells a missing package from one that cannot load', () => {
    expect(loadFailure(notFound("Cannot find package '@napi-rs/keyring' imported from /x/dist/chunk.js\nmore"), 'linux-x64')).toEqual({
      ok: false,
      failure: 'module',
      reason: "its optional module, @napi-rs/keyring, is not installed (Cannot find package '@napi-rs/keyring' imported from /x/dist/chunk.js)",
    });
    expect(loadFailure(new Error('/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34\' not found'), 'linux-x64')).toMatchObject({
      failure: 'module',
      reason: "its module, @napi-rs/keyring, cannot load (/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found)",
    });
  });
});
