import { Command } from 'commander';
import { getAccessToken } from '../auth/access-token.js';
import { unreachableProblem } from '../auth/endpoint-problem.js';
import { loginCommand } from '../auth/login-command.js';
import { ENV_TOKEN, resolveStore } from '../credentials/resolve.js';
import type { StoredEntry } from '../credentials/types.js';
import { listWorkspaces, withMcpClient } from '../mcp-client.js';
import { stderrReporter } from '../output.js';
import { relativeTime, serverUrl, urlOption } from './common.js';

export function statusCommand(): Command {
  return new Command('status')
    .summary('show stored credentials and the workspaces they reach')
    .description(
      'Show, for every server with stored credentials (or only --url): the kind of credential, its scopes, when ' +
        'the access token expires, where it is stored, and the workspaces list_workspaces returns with it ' +
        '(refreshing the token first if needed). Secrets are never shown.',
    )
    .addOption(urlOption())
    .action(async (flags: { url?: string }) => {
      const reporter = stderrReporter();
      const resolved = await resolveStore(process.env, reporter);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const envToken = process.env[ENV_TOKEN]?.trim();
      if (envToken) {
        const url = serverUrl(flags);
        out(`${url}`);
        out(`  credential  API token from ${ENV_TOKEN} (overrides stored credentials)`);
        out(`  workspaces  ${await workspacesLine(url, envToken)}`);
        out('');
      }
      let entries = await resolved.store.list();
      if (flags.url) entries = entries.filter((entry) => entry.url === serverUrl(flags));
      if (entries.length === 0) {
        if (!envToken) out(flags.url ? `Not logged in to ${serverUrl(flags)}. Run \`${loginCommand(serverUrl(flags))}\`.` : `Not logged in to any server. Run \`${loginCommand(serverUrl(flags))}\`.`);
        return;
      }
      for (const entry of entries) {
        for (const line of await describeEntry(entry)) out(line);
        out('');
      }
    });
}

async function describeEntry(entry: StoredEntry): Promise<string[]> {
  const { credential } = entry;
  const lines = [entry.url];
  if (credential.kind === 'api_token') {
    lines.push('  credential  API token');
    lines.push('  scopes      set on the server when the token was created (read_only or read_write)');
    lines.push('  expires     when revoked or at the expiry set on the server');
  } else {
    lines.push(`  credential  OAuth login via ${credential.authorizationServer.issuer} (refresh token: ${credential.refreshToken ? 'yes' : 'no'})`);
    lines.push(`  scopes      ${credential.scope || '(none reported)'}`);
    lines.push(`  expires     ${credential.expiresAt ? `${credential.expiresAt} (${relativeTime(credential.expiresAt)})` : 'not reported by the server'}`);
  }
  lines.push(`  storage     ${entry.backend}`);
  let workspaces: string;
  try {
    const { token } = await getAccessToken(entry.url, { interactive: false, env: { ...process.env, [ENV_TOKEN]: '' } });
    workspaces = await workspacesLine(entry.url, token);
  } catch (error) {
    workspaces = `unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
  lines.push(`  workspaces  ${workspaces}`);
  return lines;
}

async function workspacesLine(url: string, token: string): Promise<string> {
  try {
    const workspaces = await withMcpClient(url, token, listWorkspaces);
    return workspaces.length ? workspaces.map((w) => `${w.slug} (${w.name})`).join(', ') : '(none)';
  } catch (error) {
    return `unavailable: ${unreachableProblem(url, error)?.what ?? (error instanceof Error ? error.message : String(error))}`;
  }
}
