import { createHash, randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { hashPassword } from '../src/auth/passwords.js';
import type { Workspace } from '../src/core/workspace-access.js';
import { newId, nowIso } from '../src/ids.js';
import { createConduitServer, type ConduitServer, type ConduitServerOptions } from '../src/server.js';
import type { Store } from '../src/store/store.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

/** Drives the OAuth pages and endpoints with plain fetch, the way a browser without JavaScript would. */

export const PASSWORD = 'correct horse battery staple';

export interface OAuthFixture {
  t: TestStore;
  server: ConduitServer;
  acme: Workspace;
  clinic: Workspace;
  user: { id: string; email: string };
  close(): Promise<void>;
}

export async function createUser(store: Store, email: string, workspaces: Workspace[], password = PASSWORD): Promise<{ id: string; email: string }> {
  const id = newId('us');
  await store.db.insertInto('users').values({ id, email, name: email.split('@')[0]!, password_hash: await hashPassword(password), created_at: nowIso() }).execute();
  if (workspaces.length) await store.db.insertInto('memberships').values(workspaces.map((w) => ({ user_id: id, workspace_id: w.id, role: 'member' as const }))).execute();
  return { id, email };
}

/** A server on port 0 with two workspaces and a user who belongs to both. */
export async function createOAuthFixture(options: Partial<ConduitServerOptions> = {}): Promise<OAuthFixture> {
  const t = await createTestStore();
  const acme = await createWorkspace(t.store, 'acme-hotels', 'Acme Hotels');
  const clinic = await createWorkspace(t.store, 'northwind-clinic', 'Northwind Clinic');
  const user = await createUser(t.store, 'ana@example.com', [acme, clinic]);
  const server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, ...options });
  return {
    t,
    server,
    acme,
    clinic,
    user,
    async close() {
      await server.close();
      await t.cleanup();
    },
  };
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  [key: string]: unknown;
}

export async function register(server: ConduitServer, metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const res = await fetch(`${server.url}/oauth/mcp/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Test Client',
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...metadata,
    }),
  });
  const body = (await res.json()) as RegisteredClient & { error?: string; error_description?: string };
  if (res.status !== 201) throw new Error(`registration failed ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** A minimal cookie jar: enough for one browser talking to one server. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(new URL(url, this.base), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value.join('=') === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
    return res;
  }

  /** Follows redirects on this server; stops at (and returns) the first response that is not one, or a redirect elsewhere. */
  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init);
    let current = new URL(url, this.base).href;
    while (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, current).href;
      if (new URL(next).origin !== new URL(this.base).origin) return { res, url: next };
      current = next;
      res = await this.request(current);
    }
    return { res, url: current };
  }

  async submit(page: string, pageUrl: string, fields: Record<string, string | string[]>, omit: string[] = []): Promise<{ res: Response; url: string }> {
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (!action) throw new Error(`no form on page:\n${page}`);
    const body = new URLSearchParams();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (csrf && !omit.includes('csrf')) body.set('csrf', csrf);
    for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    return this.follow(new URL(action.replace(/&amp;/g, '&'), pageUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base },
      body,
    });
  }
}

export interface AuthorizeOptions {
  client: RegisteredClient;
  redirectUri?: string;
  scope?: string;
  resource?: string | null;
  state?: string;
  challenge?: string | null;
  method?: string;
  extra?: Record<string, string>;
}

export function authorizeUrl(server: ConduitServer, options: AuthorizeOptions): string {
  const url = new URL(`${server.url}/oauth/mcp/auth`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', options.client.client_id);
  url.searchParams.set('redirect_uri', options.redirectUri ?? options.client.redirect_uris[0]!);
  url.searchParams.set('state', options.state ?? 'st-1');
  if (options.scope !== undefined) url.searchParams.set('scope', options.scope);
  if (options.resource !== null) url.searchParams.set('resource', options.resource ?? server.mcpUrl);
  if (options.challenge !== null) {
    url.searchParams.set('code_challenge', options.challenge ?? pkce().challenge);
    url.searchParams.set('code_challenge_method', options.method ?? 'S256');
  }
  for (const [k, v] of Object.entries(options.extra ?? {})) url.searchParams.set(k, v);
  return url.href;
}

export interface ConsentChoice {
  email?: string;
  password?: string;
  workspaces: string[];
  /** Keep mcp:write ticked (default true). */
  write?: boolean;
  decision?: 'allow' | 'deny';
}

/** Signs in, consents, and returns the URL the browser was finally sent to (the client's redirect URI). */
export async function signInAndConsent(browser: Browser, startUrl: string, choice: ConsentChoice): Promise<URL> {
  let step = await browser.follow(startUrl);
  let page = await step.res.text();
  if (page.includes('Sign in to Conduit')) {
    step = await browser.submit(page, step.url, { email: choice.email ?? 'ana@example.com', password: choice.password ?? PASSWORD });
    page = await step.res.text();
  }
  if (!page.includes('Allow access to Conduit?')) throw new Error(`expected the consent page, got ${step.res.status}:\n${page}`);
  const fields: Record<string, string | string[]> = { decision: choice.decision ?? 'allow', workspace: choice.workspaces };
  if (choice.write !== false) fields.write = 'on';
  step = await browser.submit(page, step.url, fields);
  if (step.res.status < 300 || step.res.status >= 400) throw new Error(`expected a redirect to the client, got ${step.res.status}:\n${await step.res.text()}`);
  return new URL(step.url);
}

/**
 * Opens one sign-in page and posts `count` sign-in forms on it at once (one interaction, as an
 * attacker scripting the form would), each with a wrong password and the email `emailFor(i)`.
 * Returns how many were checked (401, the password was verified) and throttled (429).
 */
export async function concurrentWrongPasswords(server: ConduitServer, count: number, emailFor: (i: number) => string, headers: Record<string, string> = {}): Promise<Record<number, number>> {
  const client = await register(server);
  const browser = new Browser(server.url);
  const start = await browser.follow(authorizeUrl(server, { client }), { headers });
  const page = await start.res.text();
  const action = new URL(/<form method="post" action="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&'), start.url).href;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  const statuses = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await browser.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, ...headers },
        body: new URLSearchParams({ csrf, email: emailFor(i), password: `wrong password ${i}` }),
      });
      await res.body?.cancel();
      return res.status;
    }),
  );
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
  error?: string;
  error_description?: string;
}

export async function tokenRequest(server: ConduitServer, params: Record<string, string>): Promise<{ status: number; body: TokenResponse }> {
  const res = await fetch(`${server.url}/oauth/mcp/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

/** The whole flow for one client: authorize with PKCE, sign in, consent, exchange the code. */
export async function obtainTokens(
  server: ConduitServer,
  client: RegisteredClient,
  choice: ConsentChoice,
  options: Partial<AuthorizeOptions> = {},
): Promise<TokenResponse> {
  const { verifier, challenge } = pkce();
  const browser = new Browser(server.url);
  const redirect = await signInAndConsent(browser, authorizeUrl(server, { client, challenge, ...options }), choice);
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code in ${redirect.href}`);
  const { status, body } = await tokenRequest(server, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: options.redirectUri ?? client.redirect_uris[0]!,
    client_id: client.client_id,
    ...(client.client_secret ? { client_secret: client.client_secret } : {}),
    resource: server.mcpUrl,
  });
  if (status !== 200) throw new Error(`token exchange failed ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** One JSON-RPC call to the MCP endpoint. */
export async function mcp(server: ConduitServer, token: string, method: string, params: Record<string, unknown> = {}): Promise<Response> {
  return fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
}

export async function callTool(server: ConduitServer, token: string, name: string, args: Record<string, unknown>): Promise<{ status: number; body: { result?: { isError?: boolean; content: Array<{ text: string }>; structuredContent?: unknown }; error?: { message: string } }; res: Response }> {
  const res = await mcp(server, token, 'tools/call', { name, arguments: args });
  return { status: res.status, body: (await res.json()) as never, res };
}
