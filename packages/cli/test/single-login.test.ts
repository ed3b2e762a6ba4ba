import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, spawnCli, tempDir } from './helpers/cli.js';
import { startPeer, type Peer } from './helpers/oauth-peer.js';

let peer: Peer;
beforeAll(async () => {
  peer = await startPeer();
});
afterAll(() => peer.close());

describe('concurrent interactive logins', () => {
  it('five processes logging in to the same server at once run one browser flow and all end signed in', async () => {
    const configDir = tempDir();
    const work = tempDir('conduit-browser-');
    const gate = join(work, 'gate');
    const log = join(work, 'browser.log');
    writeFileSync(log, '');
    const env = cliEnv(configDir, { TEST_BROWSER_GATE: gate, TEST_BROWSER_LOG: log });
    const start = { ...peer.counts };

    const processes = Array.from({ length: 5 }, () => spawnCli(['login', '--url', peer.mcpUrl], env));
    // The browser of the first login waits at the gate (a user still signing in) until the four other
    // processes are queued behind the login lock.
    await Promise.all(processes.map((p) => p.waitFor(/Opened the browser|waiting for it to finish/)));
    expect(processes.filter((p) => /waiting for it to finish/.test(p.stderr()))).toHaveLength(4);
    writeFileSync(gate, '');

    const results = await Promise.all(processes.map((p) => p.done));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(peer.counts.authorize - start.authorize).toBe(1);
    expect(peer.counts.codeExchanges - start.codeExchanges).toBe(1);
    expect(results.filter((r) => r.stderr.includes('Signed in by another conduit-mcp process'))).toHaveLength(4);

    const token = await runCli(['token', '--url', peer.mcpUrl], env);
    expect(token.code).toBe(0);
    expect(peer.isActive(token.stdout.trim())).toBe(true);
  });
});
