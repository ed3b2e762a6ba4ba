import * as oidc from 'openid-client';
import type { Credential, OAuthCredential } from '../credentials/types.js';
import type { Reporter } from '../output.js';
import { configurationFor, oauthErrorText } from './client.js';
import { unreachableProblem } from './endpoint-problem.js';

type TokenName = 'refresh token' | 'access token';

/** What an attempt to revoke an OAuth login at its authorization server achieved, token by token. */
export interface Revocation {
  issuer: string;
  /** Absent when the authorization server offers no revocation (RFC 7009) endpoint. */
  endpoint?: string;
  revoked: TokenName[];
  failed: Array<{ token: TokenName; reason: string }>;
}

/**
 * Revokes the refresh token (which ends the grant) and then the access token (RFC 7009). Failures
 * are collected, not thrown: the caller deletes the local copy either way and reports the truth.
 */
export async function revokeOAuth(credential: OAuthCredential): Promise<Revocation> {
  const config = configurationFor(credential);
  const endpoint = config.serverMetadata().revocation_endpoint;
  const result: Revocation = { issuer: credential.authorizationServer.issuer, revoked: [], failed: [] };
  if (!endpoint) return result;
  result.endpoint = endpoint;
  const tokens: Array<[TokenName, string, string]> = [];
  if (credential.refreshToken) tokens.push(['refresh token', credential.refreshToken, 'refresh_token']);
  tokens.push(['access token', credential.accessToken, 'access_token']);
  let unreachable: string | undefined;
  for (const [name, token, hint] of tokens) {
    // A server that did not answer once will not for the next token either: do not wait twice.
    if (unreachable) {
      result.failed.push({ token: name, reason: unreachable });
      continue;
    }
    try {
      await oidc.tokenRevocation(config, token, { token_type_hint: hint });
      result.revoked.push(name);
    } catch (error) {
      const problem = unreachableProblem(endpoint, error);
      if (problem) unreachable = problem.what;
      result.failed.push({ token: name, reason: problem?.what ?? oauthErrorText(error) });
    }
  }
  return result;
}

/** How an administrator ends this login on the server when the client could not. */
export function serverSideRevocation(credential: Credential): string {
  if (credential.kind === 'api_token') {
    return (
      `revoke it under Settings > API Tokens, or on a self-hosted server with \`conduit-mcp-server tokens revoke <tok_id>\` ` +
      `(\`conduit-mcp-server tokens list\` shows it as ${credential.token.slice(0, 12)}…).`
    );
  }
  return (
    `on a self-hosted server, \`conduit-mcp-server oauth grants --json\` lists it with client_id "${credential.client.clientId}" ` +
    'and `conduit-mcp-server oauth revoke <grant-id>` ends it.'
  );
}

/**
 * Reports a revocation: what was revoked, what was not and why, and how to finish the job on the
 * server. Returns false when a revocation failed.
 */
export function reportRevocation(revocation: Revocation, credential: OAuthCredential, reporter: Reporter, what = 'the OAuth login'): boolean {
  if (!revocation.endpoint) {
    const until = credential.expiresAt ? ` (the access token until ${credential.expiresAt})` : '';
    reporter.info(`${revocation.issuer} offers no token revocation: ${what} stays valid on the server until it expires${until}; ${serverSideRevocation(credential)}`);
    return true;
  }
  if (revocation.failed.length === 0) {
    reporter.info(`Revoked ${what} at ${revocation.issuer} (${revocation.revoked.join(' and ')}).`);
    return true;
  }
  const failed = revocation.failed.map((f) => f.token).join(' and ');
  const reasons = [...new Set(revocation.failed.map((f) => f.reason))].join('; ');
  reporter.warn(`could not revoke the ${failed} of ${what} at ${revocation.issuer}: ${reasons}.`);
  if (revocation.revoked.length) reporter.info(`Revoked: the ${revocation.revoked.join(' and ')}.`);
  const grantLives = revocation.failed.some((f) => f.token === 'refresh token');
  const until = credential.expiresAt ? ` until ${credential.expiresAt}` : '';
  reporter.info(
    grantLives
      ? `Not revoked: ${what} stays active on the server until it is revoked there; ${serverSideRevocation(credential)}`
      : `Not revoked: the access token may stay valid${until}; ${serverSideRevocation(credential)}`,
  );
  return false;
}

/**
 * After a new login replaced `previous` for the same server: revoke the old OAuth grant (best
 * effort, reported truthfully), or say that a replaced API token stays valid on the server.
 */
export async function retireReplaced(previous: Credential | null, replacement: Credential, reporter: Reporter): Promise<void> {
  if (!previous) return;
  if (previous.kind === 'api_token') {
    if (replacement.kind === 'api_token' && replacement.token === previous.token) return;
    reporter.info(`Replaced the API token stored before; it stays valid on the server until revoked: ${serverSideRevocation(previous)}`);
    return;
  }
  if (replacement.kind === 'oauth' && replacement.refreshToken === previous.refreshToken && replacement.accessToken === previous.accessToken) return;
  reportRevocation(await revokeOAuth(previous), previous, reporter, 'the previous login');
}
