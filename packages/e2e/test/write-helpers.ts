import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';

/** Shared by the write e2e suites: how to reach the server process and look at its data. */

export const DELIVERY_SECRET = 'e2e-delivery-secret-7c1f';

export interface ToolResult {
  content: Array<{ type: string; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** The JSON-RPC result (a tool result) when there was one. */
  result?: ToolResult;
  /** The JSON-RPC error when there was one. */
  error?: { code: number; message: string };
}

export async function connectClient(mcpUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'writes-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/**
 * One tools/call as a plain HTTP POST, for what the SDK client does not expose: the
 * Idempotency-Key header, the HTTP status, many calls at once. The server is stateless, so a
 * call needs no initialize first.
 */
export async function rawCall(
  mcpUrl: string,
  token: string,
  name: string,
  args: Record<string, unknown>,
  options: { idempotencyKey?: string; body?: string } = {},
): Promise<RawResponse> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey }),
    },
    body: options.body ?? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  const text = await response.text();
  let json: { result?: ToolResult; error?: { code: number; message: string } } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // Not JSON (some HTTP-level refusals): status and headers say enough.
  }
  return { status: response.status, headers: response.headers, ...(json.result ? { result: json.result } : {}), ...(json.error ? { error: json.error } : {}) };
}

/** The stable error code of a tool error result (`_meta['conduit/error'].code`). */
export function errorCode(result: ToolResult | undefined): string | undefined {
  if (!result?.isError) return undefined;
  return (result._meta?.['conduit/error'] as { code?: string } | undefined)?.code;
}

export function replayMarker(result: ToolResult | undefined): { key: string; replayed: boolean; original_at: string } | undefined {
  return result?._meta?.['conduit/idempotency'] as { key: string; replayed: boolean; original_at: string } | undefined;
}

/** Runs `tokens create` against the server's data dir, as an operator would; returns the token. */
export async function createToken(dataDir: string, access: 'read_only' | 'read_write', workspaces = ['acme-hotels']): Promise<string> {
  const args = [SERVER_CLI, 'tokens', 'create', '--data-dir', dataDir, '--access', access, ...workspaces.flatMap((w) => ['--workspace', w])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 30_000 });
  const token = stdout.trim();
  if (!/^capi_\S+$/.test(token)) throw new Error('tokens create printed no token');
  return token;
}

/** Starts `serve --demo` posting deliveries to `webhookUrl` (or restarts it on `dataDir`). */
export function startWithWebhook(webhookUrl: string, dataDir?: string, extraArgs: string[] = []): Promise<ServerProcess> {
  return startServer({
    demo: true,
    ...(dataDir ? { dataDir } : {}),
    args: ['--delivery-webhook', webhookUrl, ...extraArgs],
    env: { CONDUIT_DELIVERY_SECRET: DELIVERY_SECRET },
  });
}

// --- the database file, read-only ------------------------------------------------------------

interface Statement {
  all(...params: unknown[]): Array<Record<string, unknown>>;
  get(...params: unknown[]): Record<string, unknown> | undefined;
}
export interface ReadOnlyDb {
  prepare(sql: string): Statement;
  close(): void;
}

// better-sqlite3 is the server's dependency, not this package's: load the server's copy.
const requireFromServer = createRequire(join(SERVER_CLI, '..', '..', 'package.json'));
const Sqlite = requireFromServer('better-sqlite3') as new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => ReadOnlyDb;

/**
 * Opens the server's SQLite file read-only, beside the running server (WAL lets a reader in
 * while it writes). Each call sees the latest committed state.
 */
export function openDatabase(dataDir: string): ReadOnlyDb {
  const db = new Sqlite(join(dataDir, 'conduit.db'), { readonly: true, fileMustExist: true });
  db.prepare('PRAGMA busy_timeout = 5000').get();
  return db;
}

/**
 * Tables that change without any write tool: token bookkeeping (last_used_at), rate-limit
 * buckets, OAuth state and server settings. Everything else is what tools own.
 */
const NOT_TOOL_DATA = /^(sqlite_|api_token|rate_limit|oauth_|settings$|kysely_)|_fts/;

/** A hash of every row of every table that tools write, to prove a refusal wrote nothing. */
export function dataFingerprint(db: ReadOnlyDb): string {
  const hash = createHash('sha256');
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
  for (const { name } of tables) {
    if (NOT_TOOL_DATA.test(String(name))) continue;
    hash.update(`${String(name)}\n`);
    for (const row of db.prepare(`SELECT * FROM "${String(name)}" ORDER BY rowid`).all()) hash.update(`${JSON.stringify(row)}\n`);
  }
  return hash.digest('hex');
}

/** Polls `predicate` until it holds; throws `describe()` after `timeoutMs`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// --- demo data the write tests act on ----------------------------------------------------------

/** Calls a tool through the SDK client and returns its structured result; a tool error throws. */
export async function sdkCall<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

type Page<T> = { data: T[] };

export interface Fixtures {
  /** An open SMS conversation of acme-hotels whose contact has a phone number. */
  conversationId: string;
  /** A contact of acme-hotels with a phone number, and its phone. */
  contactId: string;
  contactPhone: string;
  /** A knowledge article of acme-hotels. */
  articleId: string;
  /** An open SMS conversation of northwind-clinic (the other demo workspace). */
  otherConversationId: string;
  otherContactId: string;
}

async function openSmsConversation(client: Client, workspace: string): Promise<{ id: string; contact_id: string }> {
  const page = await sdkCall<Page<{ id: string; contact_id: string }>>(client, 'list_conversations', {
    workspace_id: workspace,
    status: 'open',
    channel: 'sms',
    limit: 1,
  });
  const conversation = page.data[0];
  if (!conversation) throw new Error(`demo data of ${workspace} has no open SMS conversation`);
  return conversation;
}

export async function findFixtures(client: Client): Promise<Fixtures> {
  const conversation = await openSmsConversation(client, 'acme-hotels');
  const other = await openSmsConversation(client, 'northwind-clinic');
  // The conversation's contact is reachable by SMS, so it can take a direct send too.
  const contact = await sdkCall<{ id: string; phone: string | null }>(client, 'get_contact', { workspace_id: 'acme-hotels', contact_id: conversation.contact_id });
  if (!contact.phone) throw new Error('the SMS conversation\'s contact has no phone');
  const articles = await sdkCall<Page<{ id: string }>>(client, 'list_knowledge_nodes', { workspace_id: 'acme-hotels', kind: 'article', limit: 1 });
  const article = articles.data[0];
  if (!article) throw new Error('demo data has no knowledge article');
  return {
    conversationId: conversation.id,
    contactId: contact.id,
    contactPhone: contact.phone,
    articleId: article.id,
    otherConversationId: other.id,
    otherContactId: other.contact_id,
  };
}
