import { Command } from 'commander';
import * as oidc from 'openid-client';
import { configurationFor, oauthErrorText } from '../auth/client.js';
import { ENV_TOKEN, resolveStore } from '../credentials/resolve.js';
import type { Credential } from '../credentials/types.js';
import { stderrReporter, type Reporter } from '../output.js';
import { serverUrl, urlOption } from './common.js';

export function logoutCommand(): Command {
  return new Command('logout')
    .summary('revoke and delete stored credentials')
    .description(
      'Sign out: revoke the OAuth tokens at the server (RFC 7009) where it supports revocation, then delete the ' +
        'stored credentials. API tokens are only deleted locally; revoke them under Settings > API Tokens.',
    )
    .addOption(urlOption())
    .option('--all', 'sign out of every server with stored credentials')
    .action(async (flags: { url?: string; all?: boolean }) => {
      const reporter = stderrReporter();
      const { store } = await resolveStore(process.env, reporter);
      const targets = flags.all ? (await store.list()).map((entry) => entry.url) : [serverUrl(flags)];
      if (targets.length === 0) reporter.info('No stored credentials.');
      for (const url of targets) {
        const credential = await store.get(url);
        if (!credential) {
          reporter.info(`Not logged in to ${url}.`);
          continue;
        }
        await revoke(credential, reporter);
        await store.delete(url);
        reporter.info(`Logged out of ${url}; its credentials were deleted from ${store.describe()}.`);
      }
      if (process.env[ENV_TOKEN]) reporter.info(`${ENV_TOKEN} is still set in this environment and is used until you unset it.`);
    });
}

/** Revokes the refresh token (which ends the grant) and the access token; failures are reported, not fatal. */
async function revoke(credential: Credential, reporter: Reporter): Promise<void> {
  if (credential.kind === 'api_token') {
    reporter.info('API tokens stay valid until revoked on the server (Settings > API Tokens, or `conduit-mcp-server tokens revoke`).');
    return;
  }
  const config = configurationFor(credential);
  if (!config.serverMetadata().revocation_endpoint) {
    reporter.info(`${credential.authorizationServer.issuer} does not support token revocation; the tokens stay valid until they expire.`);
    return;
  }
  const tokens: Array<[string, string]> = [];
  if (credential.refreshToken) tokens.push([credential.refreshToken, 'refresh_token']);
  tokens.push([credential.accessToken, 'access_token']);
  for (const [token, hint] of tokens) {
    try {
      await oidc.tokenRevocation(config, token, { token_type_hint: hint });
    } catch (error) {
      reporter.warn(`revoking the ${hint.replace('_', ' ')} failed (${oauthErrorText(error)}); deleting it locally anyway.`);
    }
  }
  reporter.info(`Revoked the tokens at ${credential.authorizationServer.issuer}.`);
}
