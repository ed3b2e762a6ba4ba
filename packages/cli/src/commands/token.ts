import { Command } from 'commander';
import { getAccessToken } from '../auth/access-token.js';
import { serverUrl, urlOption } from './common.js';

export function tokenCommand(): Command {
  return new Command('token')
    .summary('print a valid access token for scripts')
    .description(
      'Print a valid access token for the server on standard output (and nothing else), refreshing it first ' +
        'when it is about to expire. Never starts a browser: when no usable credential exists it fails with a ' +
        'message naming the login command. CONDUIT_API_TOKEN, when set, is printed as is.',
    )
    .addOption(urlOption())
    .addHelpText('after', '\nExample:\n  curl -H "Authorization: Bearer $(conduit-mcp token)" …')
    .action(async (flags: { url?: string }) => {
      const { token } = await getAccessToken(serverUrl(flags), { interactive: false });
      process.stdout.write(`${token}\n`);
    });
}
