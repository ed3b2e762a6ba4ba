import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/** How the bridge e2e suites start `conduit-mcp` and look at what crosses the wire. */

const require = createRequire(import.meta.url);
/** The built bin of the conduit-mcp package, as `npx conduit-mcp` runs it. */
export const BRIDGE_CLI = join(dirname(require.resolve('conduit-mcp/package.json')), 'dist', 'cli.js');
export const E2E_DIR = join(dirname(require.resolve('../package.json')));

/** PATH and HOME plus what the test sets: nothing from the machine's CONDUIT_* or proxy settings. */
export function hostEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...extra };
}

export interface BridgeSession {
  client: Client;
  stderr(): string;
  close(): Promise<void>;
}

/** An MCP host's view: the SDK client starting `command args` as a stdio server. */
export async function connectStdio(command: string, args: string[], env: Record<string, string>, cwd?: string): Promise<BridgeSession> {
  const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe', ...(cwd ? { cwd } : {}) });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'bridge-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

export interface ToolResult {
  content: Array<{ type: string; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export async function callOk<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as ToolResult;
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

export interface DroppingProxy {
  url: string;
  /** Every POST that went through: the tool called and the Idempotency-Key header. */
  posts: Array<{ tool: string | null; idempotencyKey: string | undefined }>;
  /** The next call of `tool` reaches the server, but its answer never reaches the bridge. */
  dropNextAnswer(tool: string): void;
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of the server that can lose one answer: it forwards the request, lets
 * the server finish it, then cuts the bridge's connection instead of passing the response on —
 * what a flaky network or a restarting load balancer does to a send that already happened.
 */
export async function startDroppingProxy(target: string): Promise<DroppingProxy> {
  const upstream = new URL(target);
  const posts: DroppingProxy['posts'] = [];
  const drop = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let tool: string | null = null;
      if (req.method === 'POST') {
        try {
          tool = (JSON.parse(body.toString('utf8')) as { params?: { name?: string } }).params?.name ?? null;
        } catch {
          tool = null;
        }
        posts.push({ tool, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      }
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer: IncomingMessage) => {
          if (tool !== null && drop.delete(tool)) {
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    posts,
    dropNextAnswer: (tool) => void drop.add(tool),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
