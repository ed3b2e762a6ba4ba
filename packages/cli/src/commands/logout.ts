import { Command } from 'commander';
import { reportRevocation, revokeOAuth, serverSideRevocation } from '../auth/revoke.js';
import { ENV_TOKEN, resolveStore } from '../credentials/resolve.js';
import { stderrReporter } from '../output.js';
import { serverUrl, urlOption } from './common.js';

export function logoutCommand(): Command {
  return new Command('logout')
    .summary('revoke and delete stored credentials')
    .description(
      'Sign out: revoke the OAuth tokens at the server (RFC 7009) where it supports revocation, then delete the ' +
        'stored credentials. The local copy is deleted even when the server cannot be reached; then logout says what ' +
        'was not revoked and how to revoke it on the server, and exits with status 1. API tokens are only deleted ' +
        'locally: revoke them on the server (Settings > API Tokens, or `conduit-mcp-server tokens revoke`).',
    )
    .addOption(urlOption())
    .option('--all', 'sign out of every server with stored credentials')
    .action(async (flags: { url?: string; all?: boolean }) => {
      const reporter = stderrReporter();
      const { store } = await resolveStore(process.env, reporter);
      const targets = flags.all ? (await store.list()).map((entry) => entry.url) : [serverUrl(flags)];
      if (targets.length === 0) reporter.info('No stored credentials.');
      let complete = true;
      for (const url of targets) {
        const credential = await store.get(url);
        if (!credential) {
          reporter.info(`Not logged in to ${url}.`);
          continue;
        }
        if (credential.kind === 'oauth') {
          const revoked = reportRevocation(await revokeOAuth(credential), credential, reporter);
          complete &&= revoked;
          await store.delete(url);
          reporter.info(`Logged out of ${url}; its credentials were deleted from ${store.describe()}${revoked ? '' : ' anyway'}.`);
        } else {
          await store.delete(url);
          reporter.info(`Logged out of ${url}; the API token was deleted from ${store.describe()}.`);
          reporter.info(`The API token itself was not revoked and stays valid on the server: ${serverSideRevocation(credential)}`);
        }
      }
      if (process.env[ENV_TOKEN]) reporter.info(`${ENV_TOKEN} is still set in this environment and is used until you unset it.`);
      if (!complete) process.exitCode = 1;
    });
}
