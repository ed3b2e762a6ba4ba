import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { afterAll } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
/** No stored credentials: bridges use CONDUIT_API_TOKEN, --header, or nothing. */
const emptyConfigDir = mkdtempSync(join(tmpdir(), 'conduit-bridge-config-'));
// Registered while the test file imports this module: its first afterAll, so (hooks run as a stack)
// its last, after the file has closed its bridges.
afterAll(() => rmSync(emptyConfigDir, { recursive: true, force: true, maxRetries: 5 }));

/** The built CLI, as `npx conduit-mcp` runs it (CONDUIT_BRIDGE_BIN points elsewhere while developing). */
export function bridgeBin(): string {
  const bin = process.env.CONDUIT_BRIDGE_BIN ?? join(here, '..', 'dist', 'cli.js');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: build the CLI first (pnpm --filter conduit-mcp build)`);
  return bin;
}

export interface Peer {
  port: number;
  mcpUrl: string;
  child: ChildProcess;
  admin(command: string, body?: unknown): Promise<unknown>;
  state(): Promise<PeerState>;
  stop(): Promise<void>;
}

export interface PeerRequest {
  method: string | null;
  id: string | number | null;
  tool: string | null;
  arguments: Record<string, unknown> | null;
  session: string | null;
  protocolVersion: string | null;
  idempotencyKey: string | null;
  clientInfo: { name: string; version: string } | null;
}

export interface PeerState {
  requests: PeerRequest[];
  deliveries: Array<{ id: string; body: string; workspace_id: string; key: string | null }>;
  replays: number;
  sessions: number;
  deletes: number;
}

/** Starts test/bridge-peer.mjs (a real SDK streamable-HTTP server with sessions) as its own process. */
export async function startPeer(port = 0, tokens = 'peer-token-1'): Promise<Peer> {
  const child = spawn(process.execPath, [join(here, 'bridge-peer.mjs'), '--port', String(port)], {
    env: { ...process.env, PEER_TOKENS: tokens },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const actual = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /peer listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`peer exited with ${code}: ${out}`)));
  });
  const base = `http://127.0.0.1:${actual}`;
  const admin = async (command: string, body: unknown = {}) => {
    const res = await fetch(`${base}/admin/${command}`, { method: 'POST', body: JSON.stringify(body) });
    return res.json();
  };
  return {
    port: actual,
    mcpUrl: `${base}/mcp`,
    child,
    admin,
    state: () => admin('state') as Promise<PeerState>,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export interface BridgeClient {
  client: Client;
  transport: StdioClientTransport;
  /** Everything the bridge wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** The MCP SDK client, talking stdio to a bridge process it spawns (as a desktop MCP host does). */
export async function connectBridge(
  args: string[],
  env: Record<string, string | undefined> = {},
  clientName = 'bridge-test',
  capabilities: ClientCapabilities = { elicitation: {} },
  setup?: (client: Client) => void,
): Promise<BridgeClient> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bridgeBin(), ...args],
    env: cleanEnv(env),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: clientName, version: '9.9.9' }, { capabilities });
  // Handlers that must be in place before the first message arrives (notifications can follow initialize at once).
  setup?.(client);
  await client.connect(transport);
  return { client, transport, stderr: () => stderr, close: () => client.close() };
}

/**
 * The environment a host gives a stdio server: PATH and HOME, plus what the test sets. Proxy
 * variables from the machine never leak in; credentials live in a throwaway config dir.
 */
export function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const base: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CONDUIT_CREDENTIAL_STORE: 'file',
    CONDUIT_CONFIG_DIR: emptyConfigDir,
    ...env,
  };
  return Object.fromEntries(Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** A bridge process with raw pipes, for what an SDK client would hide (stdout bytes, exit timing). */
export function spawnBridge(args: string[], env: Record<string, string | undefined> = {}): RawBridge {
  const child = spawn(process.execPath, [bridgeBin(), ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ id: unknown; resolve: (message: Record<string, unknown>) => void }> = [];
  const messages: Array<Record<string, unknown>> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    let newline = stdout.indexOf('\n');
    while (newline !== -1) {
      const message = JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>;
      stdout = stdout.slice(newline + 1);
      messages.push(message);
      const index = waiters.findIndex((waiter) => waiter.id === message.id);
      if (index !== -1) waiters.splice(index, 1)[0]!.resolve(message);
      newline = stdout.indexOf('\n');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    messages,
    stderr: () => stderr,
    send: (message) => child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
    request: (message) => {
      const answer = new Promise<Record<string, unknown>>((resolve) => waiters.push({ id: message.id, resolve }));
      child.stdin.write(`${JSON.stringify(message)}\n`);
      return answer;
    },
    exited,
  };
}

export interface RawBridge {
  child: ChildProcess & { stdin: NodeJS.WritableStream };
  /** Every message the bridge wrote to stdout (each line parsed as JSON, so non-JSON output fails the test). */
  messages: Array<Record<string, unknown>>;
  stderr(): string;
  send(message: unknown): void;
  request(message: { id: string | number } & Record<string, unknown>): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
} as const;
