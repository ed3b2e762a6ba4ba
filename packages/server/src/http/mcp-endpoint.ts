import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Credential } from '../core/credential.js';
import { rateLimitHeaders } from '../limits/policy.js';
import type { McpPreflight } from '../mcp/preflight.js';
import {
  JSONRPC,
  jsonRpcMessageSchema,
  invalidMessageReason,
  jsonRpcResponseSchema,
  rpcError,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JsonRpcRequest,
  type ProtocolHandler,
} from '../mcp/protocol.js';
import type { Store } from '../store/store.js';
import { BodyTooLargeError, CLOSE_CONNECTION, readBody } from './body.js';
import { DATABASE_UNAVAILABLE, describeUnavailable, sendError, sendJson } from './respond.js';
import { isDatabaseUnavailable } from '../store/errors.js';
import type { SessionRegistry } from './sessions.js';
import type { Metrics } from './metrics.js';

/** Verifies a bearer token of one kind; null means "not valid", never "not mine" for a token of its kind. */
export type BearerVerifier = (token: string) => Promise<Credential | null>;

export interface McpEndpointDeps {
  /** Only for /readyz and /metrics (router.ts); requests reach the data through the preflight's context. */
  store: Store;
  preflight: McpPreflight;
  protocol: ProtocolHandler;
  verify: BearerVerifier;
  /** URL of the protected-resource metadata document, for WWW-Authenticate. */
  resourceMetadataUrl: string;
  maxBodyBytes: number;
  logger: Logger;
  /** Present when `--sessions` is on. */
  sessions?: SessionRegistry | undefined;
  metrics: Metrics;
}

const SESSION_HEADER = 'mcp-session-id';

const RATE_LIMITER_UNAVAILABLE = 'the rate limiter (Redis) did not answer; nothing was done. Retry shortly.';

function bearerChallenge(metadataUrl: string, extra = ''): string {
  return `Bearer ${extra}resource_metadata="${metadataUrl}"`;
}

function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Every request to /v1/mcp. Authentication comes before anything that depends on the method: an
 * unauthenticated request, whatever its method, gets 401 with the challenge naming the resource
 * metadata. Some hosts probe with HEAD (no token) to read that challenge before OAuth discovery,
 * and a 405 there sent them to a fallback where their sign-in failed. Only an authenticated
 * caller learns which methods the endpoint allows.
 */
export async function handleMcpRequest(req: IncomingMessage, res: ServerResponse, deps: McpEndpointDeps): Promise<void> {
  const credential = await authenticate(req, res, deps);
  if (!credential) return;
  if (req.method === 'POST') return handleMcpPost(req, res, credential, deps);
  if (req.method === 'DELETE' && deps.sessions) return handleMcpDelete(req, res, credential, deps);
  // The server never sends unsolicited messages, so there is no SSE stream to open with GET;
  // DELETE only means something with sessions on.
  const allow = deps.sessions ? 'POST, DELETE' : 'POST';
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { allow }).end();
    return;
  }
  sendError(res, 405, 'method_not_allowed', `This endpoint accepts ${allow} only.`, { allow });
}

/** POST /v1/mcp: one JSON-RPC message in, one JSON response (or 202) out. */
async function handleMcpPost(req: IncomingMessage, res: ServerResponse, credential: Credential, deps: McpEndpointDeps): Promise<void> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    return sendJson(res, 415, rpcError(null, JSONRPC.INVALID_REQUEST, 'Content-Type must be application/json'));
  }
  const version = singleHeader(req, 'mcp-protocol-version');
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return sendJson(
      res,
      400,
      rpcError(null, JSONRPC.INVALID_REQUEST, `Unsupported MCP-Protocol-Version "${version}"; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`),
    );
  }

  let raw: unknown;
  try {
    raw = JSON.parse((await readBody(req, deps.maxBodyBytes)).toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return sendJson(res, 413, rpcError(null, JSONRPC.INVALID_REQUEST, `Request body too large (limit ${error.limit} bytes)`), CLOSE_CONNECTION);
    }
    return sendJson(res, 400, rpcError(null, JSONRPC.PARSE_ERROR, 'Parse error: body is not valid JSON'));
  }
  if (Array.isArray(raw)) {
    return sendJson(res, 400, rpcError(null, JSONRPC.INVALID_REQUEST, 'JSON-RPC batches are not supported (MCP 2025-06-18): send one message per request'));
  }
  const parsed = jsonRpcMessageSchema.safeParse(raw);
  if (!parsed.success) {
    if (jsonRpcResponseSchema.safeParse(raw).success) {
      res.writeHead(202).end(); // a response to a server request: stateless mode sends none, nothing to do
      return;
    }
    return sendJson(res, 400, rpcError(null, JSONRPC.INVALID_REQUEST, invalidMessageReason(raw)));
  }
  const message = parsed.data as JsonRpcRequest;

  let sessionId: string | undefined;
  if (deps.sessions && message.method !== 'initialize') {
    sessionId = singleHeader(req, SESSION_HEADER);
    if (!sessionId) return sendJson(res, 400, rpcError(message.id ?? null, JSONRPC.INVALID_REQUEST, 'Mcp-Session-Id header required: initialize first'));
    if (!deps.sessions.touch(sessionId, credential.id)) {
      return sendJson(res, 404, rpcError(message.id ?? null, JSONRPC.INVALID_REQUEST, 'Session not found or expired: initialize again'));
    }
  }

  // A client that goes away before its answer (a time-out, a closed tab) frees what its request
  // holds: a search waiting for a read pool worker is dropped, one under way stops at its next step.
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  const decided = await deps.preflight({ message, credential, idempotencyKeyHeader: singleHeader(req, 'idempotency-key'), signal: gone.signal });
  if (decided.outcome === 'limiter_unavailable') {
    // Fail closed: a limit that silently stops holding is worse than a short outage. Nothing ran.
    deps.metrics.rateLimiterUnavailable.inc();
    deps.logger.warn({ method: message.method, reason: decided.reason }, 'rate limiter unavailable');
    return sendJson(res, 503, rpcError(message.id ?? null, JSONRPC.INTERNAL_ERROR, `rate_limiter_unavailable: ${RATE_LIMITER_UNAVAILABLE}`), { 'retry-after': '1' });
  }
  const headers: Record<string, string> = decided.limit ? rateLimitHeaders(decided.limit.limiter, decided.limit.decision) : {};
  if (decided.outcome === 'rate_limited') {
    deps.metrics.rateLimited.inc();
    return sendJson(
      res,
      429,
      rpcError(message.id ?? null, JSONRPC.INVALID_REQUEST, `rate_limited: too many requests for this workspace; retry after ${decided.limit.decision.retryAfter} s`),
      headers,
    );
  }
  if (decided.outcome === 'insufficient_scope') {
    // HTTP 403 rather than a tool error: the credential, not the call, is what must change.
    return sendJson(
      res,
      403,
      rpcError(message.id ?? null, JSONRPC.INVALID_REQUEST, `insufficient_scope: ${decided.tool.name} is a write tool and needs a read_write token or the mcp:write scope`),
      {
        ...headers,
        'www-authenticate': bearerChallenge(deps.resourceMetadataUrl, 'error="insufficient_scope", scope="mcp:read mcp:write", '),
      },
    );
  }

  const { tool } = decided;
  const started = process.hrtime.bigint();
  let outcome = 'ok';
  let response;
  try {
    response = await deps.protocol.handle(message, decided.context);
    if (response && 'result' in response && (response.result as { isError?: boolean }).isError) outcome = 'error';
  } catch (error) {
    if (gone.signal.aborted) {
      // Nobody is left to answer: the work stopped because its client went away.
      if (tool) deps.metrics.toolCalls.inc({ tool: tool.name, outcome: 'client_gone' });
      deps.logger.info({ method: message.method, tool: tool?.name }, 'client went away; its request stopped');
      return;
    }
    if (isDatabaseUnavailable(error)) {
      // A write rolled back with its idempotency key, so the same request may simply be sent again.
      if (tool) deps.metrics.toolCalls.inc({ tool: tool.name, outcome: 'unavailable' });
      deps.logger.warn({ method: message.method, tool: tool?.name, reason: describeUnavailable(error) }, 'database unavailable');
      return sendJson(res, 503, rpcError(message.id ?? null, JSONRPC.INTERNAL_ERROR, `database_unavailable: ${DATABASE_UNAVAILABLE}`), { ...headers, 'retry-after': '1' });
    }
    outcome = 'internal_error';
    deps.logger.error({ err: error, method: message.method, tool: tool?.name, credential: credential.id }, 'request failed');
    response = rpcError(message.id ?? null, JSONRPC.INTERNAL_ERROR, 'Internal error; the server logged the details.');
  }
  if (tool) {
    deps.metrics.toolCalls.inc({ tool: tool.name, outcome });
    deps.metrics.toolLatency.observe({ tool: tool.name }, Number(process.hrtime.bigint() - started) / 1e9);
  }
  if (deps.sessions && message.method === 'initialize' && response && 'result' in response) {
    headers[SESSION_HEADER] = deps.sessions.create(credential.id);
  }
  if (response === null) {
    res.writeHead(202, headers).end();
    return;
  }
  sendJson(res, 200, response, headers);
}

/** DELETE /v1/mcp with sessions on: the client ends its session. */
function handleMcpDelete(req: IncomingMessage, res: ServerResponse, credential: Credential, deps: McpEndpointDeps): void {
  const sessionId = singleHeader(req, SESSION_HEADER);
  if (!sessionId || !deps.sessions?.end(sessionId, credential.id)) {
    return sendError(res, 404, 'not_found', 'No such session.');
  }
  res.writeHead(204).end();
}

/**
 * Verifies the bearer token (before the body is read: an unauthenticated client learns nothing
 * and costs little); on failure answers 401 with the RFC 9728 challenge and returns null.
 */
async function authenticate(req: IncomingMessage, res: ServerResponse, deps: McpEndpointDeps): Promise<Credential | null> {
  const token = bearerToken(req);
  if (!token) {
    sendError(res, 401, 'invalid_request', 'Missing bearer token: send Authorization: Bearer <token>.', {
      'www-authenticate': bearerChallenge(deps.resourceMetadataUrl),
    });
    return null;
  }
  const credential = await deps.verify(token);
  if (!credential) {
    sendError(res, 401, 'invalid_token', 'The access token is missing, expired, revoked or not for this server.', {
      'www-authenticate': bearerChallenge(deps.resourceMetadataUrl, 'error="invalid_token", '),
    });
    return null;
  }
  return credential;
}
