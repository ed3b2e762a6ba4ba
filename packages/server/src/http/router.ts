import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { handleMcpRequest, type McpEndpointDeps } from './mcp-endpoint.js';
import { readPoolMetrics, routeOf } from './metrics.js';
import { checkOrigin, type OriginPolicy } from './origin.js';
import { DATABASE_UNAVAILABLE, describeUnavailable, sendError, sendJson } from './respond.js';
import { isDatabaseUnavailable } from '../store/errors.js';

export const MCP_PATH = '/v1/mcp';
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource/v1/mcp';

/** An extra route mounted by an optional component (the OAuth server, metrics…). Returns true when it handled the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** A service besides the database that requests need (Redis for the rate limiter), checked by /readyz. */
export interface ReadinessDependency {
  name: string;
  ping(): Promise<unknown>;
}

export interface RouterDeps {
  mcp: McpEndpointDeps;
  /** Checked by /readyz after the database. */
  dependencies: ReadinessDependency[];
  origin: OriginPolicy;
  /** RFC 9728 metadata served at RESOURCE_METADATA_PATH. */
  resourceMetadata: Record<string, unknown>;
  extraRoutes: RouteHandler[];
  logger: Logger;
}

export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://internal');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') return readiness(res);
    if (url.pathname === '/metrics') return metrics(res);
    const refused = checkOrigin(req, deps.origin);
    if (refused) return sendError(res, 403, 'forbidden', `${refused}. Configure --allowed-hosts / --allowed-origins or use the public URL.`);

    if (url.pathname === MCP_PATH) return handleMcpRequest(req, res, deps.mcp);
    if (url.pathname === RESOURCE_METADATA_PATH || url.pathname === '/.well-known/oauth-protected-resource') {
      if (req.method !== 'GET') return sendError(res, 405, 'method_not_allowed', 'GET only.', { allow: 'GET' });
      return sendJson(res, 200, deps.resourceMetadata, { 'access-control-allow-origin': '*' });
    }
    for (const handler of deps.extraRoutes) {
      if (await handler(req, res, url)) return;
    }
    sendError(res, 404, 'not_found', `No route for ${req.method} ${url.pathname}.`);
  }

  /**
   * Ready when the database and every other dependency answer: a load balancer stops routing here
   * while one does not. The reason names each one that failed.
   */
  async function readiness(res: ServerResponse): Promise<void> {
    const checks = [{ name: 'database', ping: () => sql`SELECT 1`.execute(deps.mcp.store.db) }, ...deps.dependencies];
    const failed: string[] = [];
    for (const check of checks) {
      try {
        await check.ping();
      } catch (error) {
        deps.logger.warn({ err: error, dependency: check.name }, 'readiness check failed');
        failed.push(check.name);
      }
    }
    if (failed.length === 0) return sendJson(res, 200, { status: 'ready' });
    sendJson(res, 503, { status: 'unavailable', reason: failed.map((name) => `${name} unreachable`).join(', ') });
  }

  async function metrics(res: ServerResponse): Promise<void> {
    const pending = await deps.mcp.store.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    const body = deps.mcp.metrics.render([
      { name: 'conduit_outbox_pending', help: 'Outbound messages waiting for delivery.', value: Number(pending.n) },
      ...readPoolMetrics(deps.mcp.store.readPoolStats()),
    ]);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'cache-control': 'no-store' }).end(body);
  }

  return (req, res) => {
    // A request id for correlating logs; returned so a user can quote it in a support request.
    const requestId = randomUUID();
    const started = process.hrtime.bigint();
    res.setHeader('x-request-id', requestId);
    // No answer of this server is meant to be sniffed into another type (a JSON error rendered as HTML).
    res.setHeader('x-content-type-options', 'nosniff');
    res.once('finish', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      deps.mcp.metrics.httpRequests.inc({ route: routeOf(path), status: String(res.statusCode) });
      deps.logger.info(
        { request_id: requestId, method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    route(req, res).catch((error: unknown) => {
      if (isDatabaseUnavailable(error)) {
        // Busy or unreachable, not broken: the request did not happen and may be retried as is.
        deps.logger.warn({ request_id: requestId, reason: describeUnavailable(error) }, 'database unavailable');
        if (!res.headersSent) return sendError(res, 503, 'database_unavailable', DATABASE_UNAVAILABLE, { 'retry-after': '1' });
        return void res.destroy();
      }
      deps.logger.error({ err: error, request_id: requestId, path: req.url?.split('?')[0] }, 'unhandled request error');
      if (!res.headersSent) sendError(res, 500, 'server_error', 'Internal error; the server logged the details.');
      else res.destroy();
    });
  };
}
