// Runs against a real Secret Service: gnome-keyring in a private D-Bus session. `pnpm test:keychain`
// (or the repository's test runner) starts one and sets CONDUIT_TEST_KEYCHAIN=1; anywhere else these
// tests are skipped with a line saying why (a failure under CONDUIT_REQUIRE_SERVICES=1), and nowhere
// do they touch a developer's own keyring.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { KeychainStore } from '../src/credentials/keychain-store.js';
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
    const keytar = ((await import('keytar')) as unknown as { default: { getPassword(s: string, a: string): Promise<string | null> } }).default;
    expect(JSON.parse((await keytar.getPassword('conduit-mcp', url))!)).toMatchObject({ url });
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

  // Needs keytar to load, so that the cause is the Secret Service (the keychain service check covers keytar).
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

  it.skipIf(process.platform !== 'linux')('an install whose keytar did not build (npm drops a failed optional dependency) names libsecret, once', async () => {
    const bin = copyInstall({ omit: ['keytar'] });
    const env = cliEnv(tempDir(), { CONDUIT_CREDENTIAL_STORE: 'auto' });
    const first = await runBin(bin, ['status'], env);
    const warnings = warningsIn(first.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('no usable OS keychain: its module, keytar, is not installed or cannot load');
    expect(warnings[0]).toContain('install libsecret (libsecret-1-0 on Debian and Ubuntu, libsecret on Fedora and Arch) and reinstall conduit-mcp');
    expect(warningsIn((await runBin(bin, ['status'], env)).stderr)).toEqual([]);
    const doctor = await runBin(bin, ['doctor', '--url', 'http://127.0.0.1:1/v1/mcp'], env);
    expect(doctor.stdout).toMatch(/^warn keychain +not usable: its module, keytar, is not installed or cannot load .* Fix: install libsecret/m);
    expect((await runBin(bin, ['status'], { ...env, CONDUIT_CREDENTIAL_STORE: 'file' })).stderr).toBe('');
  });
});
