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
import { cliEnv, runCli, tempDir } from './helpers/cli.js';
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
  it('falls back to the file store with a one-line warning saying where', async () => {
    const dir = tempDir();
    const env = cliEnv(dir, { CONDUIT_CREDENTIAL_STORE: 'auto', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' });
    const result = await runCli(['status'], env);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('no usable OS keychain'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(dir, 'credentials'));
  });
});
