import { Command } from 'commander';
import { getAccessToken, type AccessToken } from '../auth/access-token.js';
import { discoverAuthorizationServer, discoverResource, probeEndpoint, type AuthorizationServerDiscovery, type EndpointProbe } from '../auth/discovery.js';
import { AuthError, loginCommand } from '../auth/errors.js';
import { splitScope } from '../auth/scopes.js';
import { resolveStore, type ResolvedStore } from '../credentials/resolve.js';
import { listWorkspaces, TokenRejectedError, ToolCallError, withMcpClient, type Workspace } from '../mcp-client.js';
import { silentReporter } from '../output.js';
import { serverUrl, urlOption } from './common.js';

type Status = 'ok' | 'warn' | 'FAIL' | 'skip';

interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .summary('diagnose connection, sign-in and credential problems')
    .description(
      'Check, one line each: that the endpoint is reachable, that it publishes OAuth metadata (RFC 9728 / RFC 8414), ' +
        'that its authorization server supports Dynamic Client Registration, that the stored credential is valid, ' +
        'its scopes, the workspaces it reaches, and the OS keychain. Every failing check names its fix. ' +
        'Exits with status 1 when a check fails.',
    )
    .addOption(urlOption())
    .action(async (flags: { url?: string }) => {
      const url = serverUrl(flags);
      process.stdout.write(`conduit-mcp doctor for ${url}\n`);
      const checks = await runChecks(url);
      const width = Math.max(...checks.map((c) => c.name.length));
      for (const check of checks) {
        process.stdout.write(`${check.status.padEnd(4)} ${check.name.padEnd(width)}  ${check.detail}${check.fix ? ` Fix: ${check.fix}` : ''}\n`);
      }
      if (checks.some((c) => c.status === 'FAIL')) process.exitCode = 1;
    });
}

export async function runChecks(url: string): Promise<Check[]> {
  const checks: Check[] = [];
  const login = loginCommand(url);

  let probe: EndpointProbe | undefined;
  try {
    probe = await probeEndpoint(url);
    checks.push({ name: 'reachability', status: 'ok', detail: `${url} answered HTTP ${probe.status}.` });
  } catch (error) {
    checks.push({
      name: 'reachability',
      status: 'FAIL',
      detail: `${url} did not answer (${causeText(error)}).`,
      fix: 'check the URL (--url or CONDUIT_MCP_URL), your network, HTTPS_PROXY/NO_PROXY and NODE_EXTRA_CA_CERTS.',
    });
  }

  let as: AuthorizationServerDiscovery | undefined;
  if (probe) {
    try {
      const resource = await discoverResource(url, probe.challenge);
      as = await discoverAuthorizationServer(resource.authorizationServer);
      const where = resource.resourceMetadataUrl ? `resource metadata ${resource.resourceMetadataUrl}` : 'no resource metadata (pre-2025-06-18 server)';
      checks.push({ name: 'metadata', status: 'ok', detail: `${where}; authorization server ${as.metadata.issuer}.` });
    } catch (error) {
      checks.push({
        name: 'metadata',
        status: 'FAIL',
        detail: `${causeText(error)}`,
        fix: 'use an API token instead (conduit-mcp login --token-stdin), or point the client directly at the authorization server URLs in the Authentication section of the product page.',
      });
    }
  } else checks.push({ name: 'metadata', status: 'skip', detail: 'endpoint not reachable.' });

  const resolved = await resolveStore(process.env, silentReporter);
  const access = await credentialCheck(url, resolved, checks, login);

  if (as) {
    const dcr = Boolean(as.metadata.registration_endpoint);
    checks.push(
      dcr
        ? { name: 'registration', status: 'ok', detail: `Dynamic Client Registration at ${as.metadata.registration_endpoint}.` }
        : {
            name: 'registration',
            status: access?.source === 'oauth' ? 'warn' : 'FAIL',
            detail: 'the authorization server does not support Dynamic Client Registration.',
            fix: 'use an API token (conduit-mcp login --token-stdin), or a pre-registered client (conduit-mcp login --client-id …).',
          },
    );
  } else checks.push({ name: 'registration', status: 'skip', detail: 'no authorization server metadata.' });

  checks.push(scopeCheck(access, login));
  checks.push(await workspaceCheck(url, access));
  checks.push(
    resolved.keychainUnavailable
      ? {
          name: 'keychain',
          status: 'warn',
          detail: `not used: ${resolved.keychainUnavailable}; credentials are kept in ${resolved.store.describe()}.`,
          fix: 'install and unlock an OS keychain (on Linux: libsecret and gnome-keyring or KWallet in a D-Bus session), or keep the file store (readable only by you).',
        }
      : { name: 'keychain', status: 'ok', detail: `${resolved.store.describe()} is usable.` },
  );
  return checks;
}

async function credentialCheck(url: string, resolved: ResolvedStore, checks: Check[], login: string): Promise<AccessToken | undefined> {
  let access: AccessToken;
  try {
    access = await getAccessToken(url, { interactive: false, store: resolved, reporter: silentReporter });
  } catch (error) {
    checks.push({ name: 'credential', status: 'FAIL', detail: error instanceof AuthError ? error.message.replace(/ Run `.*$/, '') : causeText(error), fix: `run \`${login}\`.` });
    return undefined;
  }
  try {
    await withMcpClient(url, access.token, async () => {});
  } catch (error) {
    const rejected = error instanceof TokenRejectedError;
    checks.push({
      name: 'credential',
      status: 'FAIL',
      detail: rejected ? `${describeSource(access)}: ${error.message}.` : `could not check it (${causeText(error)}).`,
      fix:
        access.source === 'oauth'
          ? `the OAuth access token expired or was revoked and could not be refreshed: run \`${login}\`.`
          : 'the API token may have been rotated or revoked: check Settings > API Tokens, then `conduit-mcp login --token-stdin` (or update CONDUIT_API_TOKEN).',
    });
    return undefined;
  }
  checks.push({ name: 'credential', status: 'ok', detail: `${describeSource(access)} accepted by the server.` });
  return access;
}

function describeSource(access: AccessToken): string {
  if (access.source === 'env') return 'API token from CONDUIT_API_TOKEN';
  if (access.source === 'api_token') return 'stored API token';
  const credential = access.credential;
  const expiry = credential?.kind === 'oauth' && credential.expiresAt ? ` (access token valid until ${credential.expiresAt})` : '';
  return `OAuth login${expiry}`;
}

function scopeCheck(access: AccessToken | undefined, login: string): Check {
  if (!access) return { name: 'scopes', status: 'skip', detail: 'no valid credential.' };
  const credential = access.credential;
  if (access.source !== 'oauth' || credential?.kind !== 'oauth') {
    return { name: 'scopes', status: 'ok', detail: 'API token: read-only or read/write is set on the server. Write tools (send_, patch_, create_, update_, delete_) need a read_write token.' };
  }
  const scopes = splitScope(credential.scope);
  if (!credential.refreshToken) {
    return { name: 'scopes', status: 'warn', detail: `${scopes.join(' ') || '(none reported)'}; no refresh token, so the login ends when the access token expires.`, fix: `run \`${login} --scope "mcp:read mcp:write offline_access"\`.` };
  }
  if (credential.scope && !scopes.includes('mcp:write')) {
    return {
      name: 'scopes',
      status: 'warn',
      detail: `${scopes.join(' ')}: read-only, write tools will be refused (403).`,
      fix: `run \`${login}\` and consent to the mcp:write scope, or use a read_write API token.`,
    };
  }
  return { name: 'scopes', status: 'ok', detail: scopes.join(' ') || '(none reported)' };
}

async function workspaceCheck(url: string, access: AccessToken | undefined): Promise<Check> {
  if (!access) return { name: 'workspaces', status: 'skip', detail: 'no valid credential.' };
  let workspaces: Workspace[];
  try {
    workspaces = await withMcpClient(url, access.token, listWorkspaces);
  } catch (error) {
    const problem = error instanceof ToolCallError ? error.message : causeText(error);
    return {
      name: 'workspaces',
      status: 'FAIL',
      detail: `list_workspaces failed: ${problem}`,
      fix: 'for OAuth, run conduit-mcp login again and grant at least one workspace during consent; for API tokens, attach the token to the right workspace.',
    };
  }
  if (workspaces.length === 0) {
    return { name: 'workspaces', status: 'FAIL', detail: 'the credential reaches no workspace.', fix: 'for OAuth, log in again and grant at least one workspace during consent; for API tokens, attach the token to the right workspace.' };
  }
  return { name: 'workspaces', status: 'ok', detail: workspaces.map((w) => w.slug).join(', ') };
}

function causeText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ? `${message}: ${cause.code}` : message;
}
