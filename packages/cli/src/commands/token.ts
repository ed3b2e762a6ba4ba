import { Command } from 'commander';
import { getAccessToken, type AccessToken } from '../auth/access-token.js';
import { probeEndpoint, type EndpointProbe } from '../auth/discovery.js';
import { httpProblem, unreachableProblem } from '../auth/endpoint-problem.js';
import { AuthError, loginCommand } from '../auth/errors.js';
import { ENV_TOKEN } from '../credentials/resolve.js';
import { serverUrl, urlOption } from './common.js';

export function tokenCommand(): Command {
  return new Command('token')
    .summary('print a valid access token for scripts')
    .description(
      'Print a valid access token for the server on standard output (and nothing else), refreshing it first ' +
        'when it is about to expire, after checking that the server accepts it (one MCP initialize request). ' +
        'Never starts a browser: when no usable credential exists, or the server rejects it, it prints nothing ' +
        'on standard output, says why and what to run on standard error, and exits with status 1. ' +
        'CONDUIT_API_TOKEN, when set, is checked and printed as is.',
    )
    .addOption(urlOption())
    .addHelpText('after', '\nExample:\n  curl -H "Authorization: Bearer $(conduit-mcp token)" …')
    .action(async (flags: { url?: string }) => {
      const url = serverUrl(flags);
      let access = await getAccessToken(url, { interactive: false });
      let probe = await check(url, access);
      // A fresh-looking OAuth token the server rejects was revoked or rotated elsewhere: one refresh tells.
      if (probe.status === 401 && access.source === 'oauth') {
        access = await getAccessToken(url, { interactive: false, rejectedToken: access.token });
        probe = await check(url, access);
      }
      if (probe.status === 401) throw new AuthError('token_rejected', rejectedMessage(url, access, probe));
      const problem = await httpProblem(url, probe);
      if (problem) throw new AuthError('endpoint_problem', `Could not check the token: ${problem.what}. Fix: ${problem.fix}`);
      process.stdout.write(`${access.token}\n`);
    });
}

async function check(url: string, access: AccessToken): Promise<EndpointProbe> {
  try {
    return await probeEndpoint(url, access.token);
  } catch (error) {
    const problem = unreachableProblem(url, error);
    if (!problem) throw error;
    throw new AuthError('unreachable', `Could not check the token: ${problem.what}. Fix: ${problem.fix}`);
  }
}

function rejectedMessage(url: string, access: AccessToken, probe: EndpointProbe): string {
  const answer = `HTTP 401: ${probe.detail ?? 'revoked, expired or not for this server'}`;
  if (access.source === 'env') {
    return `${url} rejected the API token in ${ENV_TOKEN} (${answer}). Set ${ENV_TOKEN} to a valid token, or unset it to use the stored credential.`;
  }
  if (access.source === 'api_token') {
    return (
      `${url} rejected the stored API token (${answer}). ` +
      `Create a new one (Settings > API Tokens; on a self-hosted server \`conduit-mcp-server tokens create\`) and store it with ` +
      `\`${loginCommand(url)} --token-stdin\`.`
    );
  }
  return `${url} rejected the OAuth access token even after a refresh (${answer}). Run \`${loginCommand(url)}\` to sign in again.`;
}
