import { Command } from 'commander';
import { getAccessToken, type AccessToken } from '../auth/access-token.js';
import { discoverAuthorizationServer, discoverResource, probeEndpoint, type AuthorizationServerDiscovery, type EndpointProbe } from '../auth/discovery.js';
import { suggestEndpoint } from '../auth/endpoint-hint.js';
import { httpProblem, unreachableProblem } from '../auth/endpoint-problem.js';
import { AuthError, DiscoveryError, LoginRequiredError, loginCommand, NotLoggedInError } from '../auth/errors.js';
import { RefreshUnreachableError } from '../auth/refresh.js';
import { splitScope } from '../auth/scopes.js';
import { keychainFix } from '../credentials/keychain-advice.js';
import { ENV_TOKEN, resolveStore, StoreUnavailableError, type ResolvedStore } from '../credentials/resolve.js';
import type { Credential } from '../credentials/types.js';
import { listWorkspaces, ToolCallError, withMcpClient, type Workspace } from '../mcp-client.js';
import { silentReporter } from '../output.js';
import { serverUrl, urlOption } from './common.js';

type Status = 'ok' | 'warn' | 'FAIL' | 'skip';

export interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .summary('diagnose connection, sign-in and credential problems')
    .description(
      'Check, one line each: that the endpoint is reachable and is an MCP endpoint, that it publishes OAuth metadata ' +
        '(RFC 9728 / RFC 8414), that the credential in use is accepted, that the authorization server supports Dynamic ' +
        'Client Registration, the credential\'s scopes, the workspaces it reaches, and the credential store. Every ' +
        'failing check names the fix for its cause. Exits with status 1 when a check fails.',
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

/** What the endpoint answered, or why it is not one to talk to. */
type Endpoint = { check: Check; probe: EndpointProbe } | { check: Check; probe?: undefined; why: string };

/** The OAuth side: the authorization server, or why sign-in at this URL cannot work and its fix. */
type OAuthSide = { as: AuthorizationServerDiscovery; detail: string } | { as?: undefined; problem: string; fix: string; betterUrl?: string };

interface StoreState {
  resolved?: ResolvedStore;
  error?: StoreUnavailableError;
}

export async function runChecks(url: string, env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const endpoint = await endpointCheck(url);
  const oauth = endpoint.probe ? await oauthSide(url, endpoint.probe) : undefined;
  const store = await openStore(env);
  // Where an OAuth sign-in must go: the address the server names for itself, when this is another.
  const loginUrl = (oauth && !oauth.as && oauth.betterUrl) || url;
  const { check: credential, access } = await credentialCheck(url, endpoint, store, loginUrl, env);
  return [
    endpoint.check,
    metadataCheck(oauth, access),
    credential,
    registrationCheck(oauth, access),
    scopeCheck(access, loginCommand(loginUrl)),
    await workspaceCheck(url, access),
    keychainCheck(store),
  ];
}

async function endpointCheck(url: string): Promise<Endpoint> {
  let probe: EndpointProbe;
  try {
    probe = await probeEndpoint(url);
  } catch (error) {
    const problem = unreachableProblem(url, error) ?? { what: `${url} did not answer: ${error instanceof Error ? error.message : String(error)}`, fix: 'check the URL (--url or CONDUIT_MCP_URL).' };
    return { check: { name: 'reachability', status: 'FAIL', detail: `${problem.what}.`, fix: problem.fix }, why: 'the endpoint did not answer' };
  }
  const problem = await httpProblem(url, probe);
  if (problem) return { check: { name: 'reachability', status: 'FAIL', detail: `${problem.what}.`, fix: problem.fix }, why: 'the URL is not a working MCP endpoint' };
  const meaning = probe.status === 401 ? ' (sign-in required)' : probe.status < 300 ? ' without a token' : '';
  return { check: { name: 'reachability', status: 'ok', detail: `${url} answered HTTP ${probe.status}${meaning}.` }, probe };
}

async function oauthSide(url: string, probe: EndpointProbe): Promise<OAuthSide> {
  try {
    const resource = await discoverResource(url, probe.challenge);
    const as = await discoverAuthorizationServer(resource.authorizationServer);
    const where = resource.resourceMetadataUrl ? `resource metadata ${resource.resourceMetadataUrl}` : 'no resource metadata (pre-2025-06-18 server)';
    return { as, detail: `${where}; authorization server ${as.metadata.issuer}.` };
  } catch (error) {
    if (error instanceof DiscoveryError && error.code === 'resource_mismatch') {
      const hint = await suggestEndpoint(url);
      if (hint?.source === 'metadata') {
        return {
          problem: `OAuth sign-in is refused at this address: the server names its endpoint ${hint.url}, and tokens are issued for that address only.`,
          fix: `use --url ${hint.url}.`,
          betterUrl: hint.url,
        };
      }
    }
    const unreachable = unreachableProblem(url, error);
    if (unreachable) return { problem: `${unreachable.what.replace(`${url} `, 'the OAuth metadata ')}.`, fix: unreachable.fix };
    return {
      problem: error instanceof Error ? error.message : String(error),
      fix: 'use an API token instead (conduit-mcp login --token-stdin), or point the client directly at the authorization server URLs in the Authentication section of the product page.',
    };
  }
}

/** OAuth metadata matters for an OAuth login, or for no credential yet; an API token that works does not need it. */
function metadataCheck(oauth: OAuthSide | undefined, access: AccessToken | undefined): Check {
  if (!oauth) return { name: 'metadata', status: 'skip', detail: 'the endpoint is not usable.' };
  if (oauth.as) return { name: 'metadata', status: 'ok', detail: oauth.detail };
  const needed = !access || access.source === 'oauth';
  if (needed) return { name: 'metadata', status: 'FAIL', detail: oauth.problem, fix: oauth.fix };
  const source = access.source === 'env' ? `the API token in ${ENV_TOKEN}` : 'the stored API token';
  const check: Check = { name: 'metadata', status: 'warn', detail: `${oauth.problem} Not needed for ${source}, which the server accepts.` };
  // Only a better address is worth doing something about; "use an API token" is what is happening.
  if (oauth.betterUrl) check.fix = `${oauth.fix.replace(/\.$/, '')} to sign in with OAuth.`;
  return check;
}

async function openStore(env: NodeJS.ProcessEnv): Promise<StoreState> {
  try {
    return { resolved: await resolveStore(env, silentReporter) };
  } catch (error) {
    if (error instanceof StoreUnavailableError) return { error };
    throw error;
  }
}

async function credentialCheck(url: string, endpoint: Endpoint, store: StoreState, loginUrl: string, env: NodeJS.ProcessEnv): Promise<{ check: Check; access?: AccessToken }> {
  const login = loginCommand(loginUrl);
  const envToken = env[ENV_TOKEN]?.trim();
  if (!store.resolved && !envToken) return { check: { name: 'credential', status: 'skip', detail: 'the credential store cannot be opened (see keychain).' } };
  if (!endpoint.probe) {
    // Nothing can be checked, and a refresh attempt would only fail the same way: say what is stored.
    const stored = envToken ? `API token from ${ENV_TOKEN}` : describeStored(await store.resolved!.store.get(url));
    return { check: { name: 'credential', status: 'skip', detail: `${stored ?? 'none stored for this URL'}; not checked: ${endpoint.why}.` } };
  }
  let access: AccessToken;
  try {
    access = await getAccessToken(url, { interactive: false, env, reporter: silentReporter, ...(store.resolved ? { store: store.resolved } : {}) });
  } catch (error) {
    return { check: accessFailure(error, login) };
  }
  let probe: EndpointProbe;
  let refreshed = false;
  try {
    probe = await probeEndpoint(url, access.token);
    if (probe.status === 401 && access.source === 'oauth') {
      // The access token looked fresh but was rejected: revoked, or rotated by another client. One refresh tells.
      access = await getAccessToken(url, { interactive: false, env, reporter: silentReporter, rejectedToken: access.token, ...(store.resolved ? { store: store.resolved } : {}) });
      refreshed = true;
      probe = await probeEndpoint(url, access.token);
    }
  } catch (error) {
    if (error instanceof AuthError) return { check: accessFailure(error, login) };
    const problem = unreachableProblem(url, error);
    if (!problem) throw error;
    return { check: { name: 'credential', status: 'FAIL', detail: `could not check it: ${problem.what}.`, fix: problem.fix } };
  }
  if (probe.status === 401) {
    const answer = `HTTP 401: ${probe.detail ?? 'revoked, expired or not for this server'}`;
    if (access.source === 'oauth') {
      return { check: { name: 'credential', status: 'FAIL', detail: `${describeSource(access)}: the server rejected the access token even after a refresh (${answer}).`, fix: `run \`${login}\`.` } };
    }
    const fix =
      access.source === 'env'
        ? `set ${ENV_TOKEN} to a valid API token, or unset it to use the stored credential.`
        : `create a new API token (Settings > API Tokens; on a self-hosted server \`conduit-mcp-server tokens create\`), then \`${loginCommand(url)} --token-stdin\`.`;
    return { check: { name: 'credential', status: 'FAIL', detail: `${describeSource(access)}: the server rejected it (${answer}).`, fix } };
  }
  const problem = await httpProblem(url, probe);
  if (problem) return { check: { name: 'credential', status: 'FAIL', detail: `${describeSource(access)}: ${problem.what}.`, fix: problem.fix } };
  const after = refreshed ? ' after a refresh (the server had rejected the previous access token)' : '';
  return { check: { name: 'credential', status: 'ok', detail: `${describeSource(access)} accepted by the server${after}.` }, access };
}

/** A credential that could not be obtained, with the fix for why. */
function accessFailure(error: unknown, login: string): Check {
  if (error instanceof NotLoggedInError || error instanceof LoginRequiredError) {
    return { name: 'credential', status: 'FAIL', detail: error.message.replace(/ Run `.*$/, ''), fix: `run \`${login}\`.` };
  }
  if (error instanceof RefreshUnreachableError) {
    return {
      name: 'credential',
      status: 'FAIL',
      detail: `stored OAuth login: the access token expired and the authorization server ${error.issuer} did not answer the refresh (${error.problem.cause}).`,
      fix: `${error.problem.check}; the saved login is kept.`,
    };
  }
  if (error instanceof AuthError) return { name: 'credential', status: 'FAIL', detail: error.message, fix: `run \`${login}\`.` };
  throw error;
}

function describeStored(credential: Credential | null): string | undefined {
  if (!credential) return undefined;
  if (credential.kind === 'api_token') return 'stored API token';
  return `stored OAuth login${credential.expiresAt ? ` (access token valid until ${credential.expiresAt})` : ''}`;
}

function describeSource(access: AccessToken): string {
  if (access.source === 'env') return `API token from ${ENV_TOKEN}`;
  if (access.source === 'api_token') return 'stored API token';
  const credential = access.credential;
  const expiry = credential?.kind === 'oauth' && credential.expiresAt ? ` (access token valid until ${credential.expiresAt})` : '';
  return `OAuth login${expiry}`;
}

function registrationCheck(oauth: OAuthSide | undefined, access: AccessToken | undefined): Check {
  if (!oauth?.as) return { name: 'registration', status: 'skip', detail: 'no authorization server metadata.' };
  const endpoint = oauth.as.metadata.registration_endpoint;
  if (endpoint) return { name: 'registration', status: 'ok', detail: `Dynamic Client Registration at ${endpoint}.` };
  return {
    name: 'registration',
    status: access ? 'warn' : 'FAIL',
    detail: 'the authorization server does not support Dynamic Client Registration.',
    fix: 'use an API token (conduit-mcp login --token-stdin), or a pre-registered client (conduit-mcp login --client-id …).',
  };
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
    if (!(error instanceof ToolCallError)) {
      const problem = unreachableProblem(url, error);
      if (!problem) throw error;
      return { name: 'workspaces', status: 'FAIL', detail: `list_workspaces failed: ${problem.what}.`, fix: problem.fix };
    }
    return {
      name: 'workspaces',
      status: 'FAIL',
      detail: `list_workspaces failed: ${error.message}`,
      fix: 'for OAuth, run conduit-mcp login again and grant at least one workspace during consent; for API tokens, attach the token to the right workspace.',
    };
  }
  if (workspaces.length === 0) {
    return { name: 'workspaces', status: 'FAIL', detail: 'the credential reaches no workspace.', fix: 'for OAuth, log in again and grant at least one workspace during consent; for API tokens, attach the token to the right workspace.' };
  }
  return { name: 'workspaces', status: 'ok', detail: workspaces.map((w) => w.slug).join(', ') };
}

function keychainCheck(store: StoreState): Check {
  if (store.error) return { name: 'keychain', status: 'FAIL', detail: `${store.error.problem}.`, fix: store.error.fix };
  const resolved = store.resolved!;
  if (resolved.mode === 'file') {
    return { name: 'keychain', status: 'ok', detail: `not used: CONDUIT_CREDENTIAL_STORE=file chose the ${resolved.store.describe()} (readable only by you).` };
  }
  if (resolved.keychainUnavailable) {
    return {
      name: 'keychain',
      status: 'warn',
      detail: `not usable: ${resolved.keychainUnavailable.reason}; credentials are kept in the ${resolved.store.describe()} (readable only by you).`,
      fix: keychainFix(resolved.keychainUnavailable.failure),
    };
  }
  return { name: 'keychain', status: 'ok', detail: `${resolved.store.describe()} is usable.` };
}
