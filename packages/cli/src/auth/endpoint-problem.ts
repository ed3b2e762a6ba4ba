import { networkProblem } from '../network-problem.js';
import type { EndpointProbe } from './discovery.js';
import { suggestEndpoint } from './endpoint-hint.js';

/** Why an endpoint URL cannot be used, and the fix for that cause. */
export interface EndpointProblem {
  /** What happened, e.g. "http://…/mcp is not an MCP endpoint (HTTP 404: No route for POST /mcp.)". */
  what: string;
  /** What to do, e.g. "use --url http://…/v1/mcp (the endpoint the server names)". */
  fix: string;
}

/** For a request that got no HTTP answer: what happened and what to check. Undefined for other errors. */
export function unreachableProblem(url: string, error: unknown): EndpointProblem | undefined {
  const problem = networkProblem(error, url);
  return problem && { what: `${url} did not answer: ${problem.cause}`, fix: `${problem.check}.` };
}

/**
 * For an answer that shows `url` is not a working MCP endpoint (no such path, refused, failing):
 * what happened and the fix. Undefined for any other answer, 401 included (the caller knows
 * whether a token was sent).
 */
export async function httpProblem(url: string, probe: EndpointProbe): Promise<EndpointProblem | undefined> {
  const detail = probe.detail ? `: ${probe.detail}` : '';
  if (probe.status === 404 || probe.status === 405) {
    const hint = await suggestEndpoint(url);
    const fix = !hint
      ? 'check the URL (--url or CONDUIT_MCP_URL): Conduit servers serve MCP at /v1/mcp.'
      : hint.source === 'metadata'
        ? `use --url ${hint.url} (the endpoint this server names in its metadata).`
        : `use --url ${hint.url} (the path Conduit servers serve MCP at).`;
    return { what: `${url} is not an MCP endpoint (HTTP ${probe.status}${detail})`, fix };
  }
  if (probe.status === 403) {
    return {
      what: `${url} refused the request (HTTP 403${detail})`,
      fix: 'a self-hosted server behind a proxy needs `--public-url` set to the address clients use (or `--allowed-hosts` / `--allowed-origins`).',
    };
  }
  if (probe.status >= 500) {
    return { what: `${url} failed (HTTP ${probe.status}${detail})`, fix: 'the server is running but cannot answer: check its logs and /readyz, then try again.' };
  }
  return undefined;
}
