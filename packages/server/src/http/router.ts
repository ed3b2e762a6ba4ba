import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { handleMcpDelete, handleMcpPost, type McpEndpointDeps } from './mcp-endpoint.js';
import { checkOrigin, type OriginPolicy } from './origin.js';
import { sendError, sendJson } from './respond.js';

export const MCP_PATH = '/v1/mcp';
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource/v1/mcp';

/** An extra route mounted by an optional component (the OAuth server, metrics…). Returns true when it handled the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface RouterDeps {
  mcp: McpEndpointDeps;
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
    const refused = checkOrigin(req, deps.origin);
    if (refused) return sendError(res, 403, 'forbidden', `${refused}. Configure --allowed-hosts / --allowed-origins or use the public URL.`);

    if (url.pathname === MCP_PATH) {
      if (req.method === 'POST') return handleMcpPost(req, res, deps.mcp);
      if (req.method === 'DELETE' && deps.mcp.sessions) return handleMcpDelete(req, res, deps.mcp);
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { allow: 'POST' }).end();
        return;
      }
      // The server never sends unsolicited messages, so there is no SSE stream to open with GET;
      // DELETE only means something with sessions on.
      const allow = deps.mcp.sessions ? 'POST, DELETE' : 'POST';
      return sendError(res, 405, 'method_not_allowed', `This endpoint accepts ${allow} only.`, { allow });
    }
    if (url.pathname === RESOURCE_METADATA_PATH || url.pathname === '/.well-known/oauth-protected-resource') {
      if (req.method !== 'GET') return sendError(res, 405, 'method_not_allowed', 'GET only.', { allow: 'GET' });
      return sendJson(res, 200, deps.resourceMetadata, { 'access-control-allow-origin': '*' });
    }
    for (const handler of deps.extraRoutes) {
      if (await handler(req, res, url)) return;
    }
    sendError(res, 404, 'not_found', `No route for ${req.method} ${url.pathname}.`);
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      deps.logger.error({ err: error, path: req.url?.split('?')[0] }, 'unhandled request error');
      if (!res.headersSent) sendError(res, 500, 'server_error', 'Internal error; the server logged the details.');
      else res.destroy();
    });
  };
}
