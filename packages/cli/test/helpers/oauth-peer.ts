// A small but real OAuth 2.1 authorization server and MCP resource server for the CLI tests, over
// node:http: RFC 9728 and RFC 8414 metadata, RFC 7591 registration, authorization code with PKCE S256
// and RFC 8707 resource checks, rotating refresh tokens with reuse detection, RFC 7009 revocation,
// and an MCP endpoint (the SDK's server) with a read tool, list_workspaces, and a write tool,
// send_note, that needs mcp:write (403 insufficient_scope otherwise, as the Conduit server answers).
// /authorize decides at once (no login page), as configured by `mode`, so a BROWSER that follows
// redirects completes a login; `readOnlyConsent` grants what was asked minus mcp:write (the user
// unticked writes).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export type AuthorizeMode = 'approve' | 'deny' | 'wrong-iss' | 'page';

export interface PeerOptions {
  /** Seconds an access token from the authorization code grant lives. */
  loginTtl?: number;
  /** Seconds an access token from a refresh lives. */
  refreshTtl?: number;
  dcr?: boolean;
  /** A client the server knows without registration. */
  preRegistered?: { clientId: string; clientSecret: string };
  workspaces?: Array<{ id: string; slug: string; name: string }>;
}

export interface Peer {
  url: string;
  mcpUrl: string;
  issuer: string;
  mode: AuthorizeMode;
  options: Required<Omit<PeerOptions, 'preRegistered'>> & Pick<PeerOptions, 'preRegistered'>;
  counts: { authorize: number; register: number; codeExchanges: number; refreshRequests: number; refreshes: number; reuse: number; revocations: number };
  /** Every authorization request's query and token request's body (secrets included: test-only). */
  authorizeRequests: URLSearchParams[];
  tokenRequests: URLSearchParams[];
  /** API tokens the MCP endpoint accepts. */
  apiTokens: Set<string>;
  /** While true, authorizations grant the requested scope minus mcp:write. */
  readOnlyConsent: boolean;
  /** Notes send_note delivered. */
  notes: string[];
  /** Revokes the whole grant of this access or refresh token (every token of it stops working). */
  revokeGrantOf(token: string): void;
  /** While set, refresh responses wait for it. */
  holdRefreshes(): () => void;
  /** While set, client registrations (counted on arrival) wait for it: a slow sign-in start. */
  holdRegistrations(): () => void;
  isActive(accessToken: string): boolean;
  close(): Promise<void>;
}

interface Grant {
  family: string;
  clientId: string;
  scope: string;
  resource: string;
}

export async function startPeer(options: PeerOptions = {}): Promise<Peer> {
  const opts = { loginTtl: 3600, refreshTtl: 3600, dcr: true, workspaces: [{ id: 'ws_1', slug: 'acme-hotels', name: 'Acme Hotels' }], ...options };
  const clients = new Map<string, { secret?: string; redirectUris: string[] }>();
  if (opts.preRegistered) clients.set(opts.preRegistered.clientId, { secret: opts.preRegistered.clientSecret, redirectUris: [] });
  const codes = new Map<string, Grant & { challenge: string; redirectUri: string }>();
  const accessTokens = new Map<string, Grant & { expiresAt: number }>();
  const refreshTokens = new Map<string, Grant & { used: boolean }>();
  const revokedFamilies = new Set<string>();
  let hold: Promise<void> | null = null;
  let registrationHold: Promise<void> | null = null;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/oauth`;
  const mcpUrl = `${base}/mcp`;

  const peer: Peer = {
    url: base,
    mcpUrl,
    issuer,
    mode: 'approve',
    options: opts,
    counts: { authorize: 0, register: 0, codeExchanges: 0, refreshRequests: 0, refreshes: 0, reuse: 0, revocations: 0 },
    authorizeRequests: [],
    tokenRequests: [],
    apiTokens: new Set(),
    readOnlyConsent: false,
    notes: [],
    revokeGrantOf(token) {
      const grant = accessTokens.get(token) ?? refreshTokens.get(token);
      if (!grant) throw new Error('no such token');
      revokedFamilies.add(grant.family);
    },
    holdRefreshes() {
      let release!: () => void;
      hold = new Promise<void>((resolve) => (release = resolve));
      return () => {
        hold = null;
        release();
      };
    },
    holdRegistrations() {
      let release!: () => void;
      registrationHold = new Promise<void>((resolve) => (release = resolve));
      return () => {
        registrationHold = null;
        release();
      };
    },
    isActive: (token) => {
      const grant = accessTokens.get(token);
      return Boolean(grant && grant.expiresAt > Date.now() && !revokedFamilies.has(grant.family));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  function issue(grant: Grant, ttl: number) {
    const accessToken = `at_${randomBytes(12).toString('hex')}`;
    const refreshToken = `rt_${randomBytes(12).toString('hex')}`;
    accessTokens.set(accessToken, { ...grant, expiresAt: Date.now() + ttl * 1000 });
    refreshTokens.set(refreshToken, { ...grant, used: false });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, refresh_token: refreshToken, scope: grant.scope };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      return json(res, 200, { resource: mcpUrl, authorization_servers: [issuer], scopes_supported: ['mcp:read', 'mcp:write'], bearer_methods_supported: ['header'] });
    }
    if (path === '/.well-known/oauth-authorization-server/oauth') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        revocation_endpoint: `${issuer}/revoke`,
        ...(opts.dcr ? { registration_endpoint: `${issuer}/register` } : {}),
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none', 'client_secret_basic'],
        scopes_supported: ['mcp:read', 'mcp:write', 'offline_access'],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (path === '/oauth/register' && req.method === 'POST' && opts.dcr) {
      const body = JSON.parse(await readBody(req)) as { redirect_uris?: string[] };
      peer.counts.register += 1;
      if (registrationHold) await registrationHold;
      const clientId = `client_${randomBytes(6).toString('hex')}`;
      clients.set(clientId, { redirectUris: body.redirect_uris ?? [] });
      return json(res, 201, { client_id: clientId, redirect_uris: body.redirect_uris, token_endpoint_auth_method: 'none' });
    }
    if (path === '/oauth/authorize') return authorize(url.searchParams, res);
    if (path === '/oauth/token' && req.method === 'POST') return token(new URLSearchParams(await readBody(req)), req, res);
    if (path === '/oauth/revoke' && req.method === 'POST') {
      const body = new URLSearchParams(await readBody(req));
      const value = body.get('token') ?? '';
      const grant = refreshTokens.get(value) ?? accessTokens.get(value);
      if (grant) revokedFamilies.add(grant.family);
      peer.counts.revocations += 1;
      res.writeHead(200).end();
      return;
    }
    if (path === '/mcp') return mcp(req, res);
    json(res, 404, { error: 'not_found' });
  }

  function authorize(query: URLSearchParams, res: ServerResponse): void {
    peer.counts.authorize += 1;
    peer.authorizeRequests.push(query);
    const client = clients.get(query.get('client_id') ?? '');
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!client || (client.redirectUris.length > 0 && !client.redirectUris.includes(redirectUri))) return json(res, 400, { error: 'invalid_request', error_description: 'unknown client or redirect_uri' });
    if (query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) return json(res, 400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
    if (query.get('resource') !== mcpUrl) return json(res, 400, { error: 'invalid_target' });
    if (peer.mode === 'page') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Sign in…</p>');
      return;
    }
    const target = new URL(redirectUri);
    target.searchParams.set('state', query.get('state') ?? '');
    target.searchParams.set('iss', peer.mode === 'wrong-iss' ? 'http://127.0.0.1:1/evil' : issuer);
    if (peer.mode === 'deny') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user declined');
    } else {
      const code = randomBytes(12).toString('hex');
      codes.set(code, {
        family: randomBytes(6).toString('hex'),
        clientId: query.get('client_id') ?? '',
        scope: (query.get('scope') ?? '')
          .split(' ')
          .filter((scope) => !(peer.readOnlyConsent && scope === 'mcp:write'))
          .join(' '),
        resource: query.get('resource') ?? '',
        challenge: query.get('code_challenge') ?? '',
        redirectUri,
      });
      target.searchParams.set('code', code);
    }
    res.writeHead(302, { location: target.href }).end();
  }

  async function token(body: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    peer.tokenRequests.push(body);
    const clientId = body.get('client_id') ?? basicClientId(req);
    if (body.get('grant_type') === 'authorization_code') {
      const code = codes.get(body.get('code') ?? '');
      codes.delete(body.get('code') ?? '');
      const verifier = body.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!code || code.clientId !== clientId || code.challenge !== challenge || code.redirectUri !== body.get('redirect_uri') || code.resource !== body.get('resource')) {
        return json(res, 400, { error: 'invalid_grant' });
      }
      peer.counts.codeExchanges += 1;
      return json(res, 200, issue(code, opts.loginTtl));
    }
    if (body.get('grant_type') === 'refresh_token') {
      peer.counts.refreshRequests += 1;
      if (hold) await hold;
      const presented = body.get('refresh_token') ?? '';
      const grant = refreshTokens.get(presented);
      if (!grant || revokedFamilies.has(grant.family)) return json(res, 400, { error: 'invalid_grant', error_description: 'unknown or revoked refresh token' });
      if (grant.used) {
        // Reuse of a rotated refresh token: revoke the whole grant, as RFC 9700 §4.14 advises.
        peer.counts.reuse += 1;
        revokedFamilies.add(grant.family);
        return json(res, 400, { error: 'invalid_grant', error_description: 'refresh token reuse detected' });
      }
      if (grant.resource !== body.get('resource')) return json(res, 400, { error: 'invalid_target' });
      grant.used = true;
      peer.counts.refreshes += 1;
      return json(res, 200, issue(grant, opts.refreshTtl));
    }
    json(res, 400, { error: 'unsupported_grant_type' });
  }

  async function mcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const valid = bearer !== undefined && (peer.apiTokens.has(bearer) || peer.isActive(bearer));
    if (!valid) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"` });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    const text = req.method === 'POST' ? await readBody(req) : '';
    const body = text ? (JSON.parse(text) as { id?: unknown; method?: string; params?: { name?: string } }) : undefined;
    const scopes = peer.apiTokens.has(bearer) ? ['mcp:read', 'mcp:write'] : (accessTokens.get(bearer)?.scope ?? '').split(' ');
    if (body?.method === 'tools/call' && body.params?.name === 'send_note' && !scopes.includes('mcp:write')) {
      res.writeHead(403, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer error="insufficient_scope", scope="mcp:read mcp:write", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
      });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32600, message: 'insufficient_scope: send_note is a write tool and needs the mcp:write scope' } }));
      return;
    }
    const server = new McpServer({ name: 'oauth-peer', version: '1.0.0' });
    const read = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
    server.registerTool('list_workspaces', { description: 'List workspaces', annotations: read }, async () =>
      opts.workspaces.length === 0
        ? { isError: true, content: [{ type: 'text', text: 'This credential is valid but not scoped to any workspace.' }] }
        : { content: [{ type: 'text', text: JSON.stringify({ data: opts.workspaces }) }], structuredContent: { data: opts.workspaces } },
    );
    server.registerTool(
      'send_note',
      { description: 'Delivers a note', inputSchema: { body: z.string() }, annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } },
      async ({ body: note }) => {
        peer.notes.push(note);
        return { content: [{ type: 'text', text: `delivered: ${note}` }] };
      },
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return peer;
}

function basicClientId(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return null;
  return decodeURIComponent(Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] ?? '');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
