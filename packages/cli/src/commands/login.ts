import { Command, Option } from 'commander';
import { suggestEndpoint } from '../auth/endpoint-hint.js';
import { unreachableProblem } from '../auth/endpoint-problem.js';
import { AuthError, DiscoveryError } from '../auth/errors.js';
import { DEFAULT_LOGIN_TIMEOUT_MS, login, type LoginOptions, type LoginResult } from '../auth/login.js';
import { retireReplaced } from '../auth/revoke.js';
import { loginWithApiToken } from '../auth/token-login.js';
import { ENV_TOKEN, resolveStore } from '../credentials/resolve.js';
import { stderrReporter } from '../output.js';
import { positiveInt, serverUrl, STORAGE_HELP, urlOption } from './common.js';

interface LoginFlags {
  url?: string;
  browser: boolean;
  scope?: string;
  callbackPort?: number;
  clientId?: string;
  clientSecret?: string;
  clientMetadataUrl?: string;
  token?: string;
  tokenStdin?: boolean;
  timeout: number;
}

export function loginCommand(): Command {
  return new Command('login')
    .summary('sign in to a Conduit MCP server (OAuth in the browser, or an API token)')
    .description(
      'Sign in to a Conduit MCP server and store the credentials.\n\n' +
        'Without --token, runs the OAuth 2.1 sign-in: discovers the authorization server from the endpoint, registers ' +
        'this CLI (Dynamic Client Registration) unless --client-id is given, opens your browser (the BROWSER environment ' +
        'variable is honoured) and waits for the redirect on a one-time local port on 127.0.0.1. The sign-in URL is ' +
        'always printed, so you can open it yourself. With --token / --token-stdin, stores a capi_ API token after ' +
        'checking that the server accepts it.',
    )
    .addOption(urlOption())
    .option('--no-browser', 'do not start a browser: print the URL, and accept the address the browser ends on pasted here (for remote shells)')
    .option('--scope <scopes>', 'space-separated scopes to request (default: what the server asks for, e.g. "mcp:read mcp:write offline_access")')
    .addOption(new Option('--callback-port <port>', 'port of the local redirect listener on 127.0.0.1 (default: a free port)').argParser(positiveInt('--callback-port', 65535)))
    .option('--client-id <id>', 'use this pre-registered OAuth client instead of registering one')
    .addOption(new Option('--client-secret <secret>', 'secret of the pre-registered client (confidential clients only)').env('CONDUIT_CLIENT_SECRET'))
    .addOption(new Option('--client-metadata-url <url>', 'https URL of a client metadata document to use as client id where the server supports it').env('CONDUIT_CLIENT_METADATA_URL'))
    .addOption(new Option('--token <token>', 'store this capi_ API token instead of signing in (visible to other users in the process list: prefer --token-stdin)').conflicts(['tokenStdin', 'clientId', 'scope']))
    .addOption(new Option('--token-stdin', 'read the API token from standard input').conflicts(['clientId', 'scope']))
    .addOption(new Option('--timeout <seconds>', 'how long to wait for the browser sign-in').default(DEFAULT_LOGIN_TIMEOUT_MS / 1000).argParser(positiveInt('--timeout')))
    .addHelpText(
      'after',
      `
Examples:
  conduit-mcp login                                   sign in to https://api.conduit.ai/v1/mcp in the browser
  conduit-mcp login --url http://127.0.0.1:8787/v1/mcp
  conduit-mcp login --no-browser                      on a remote shell: open the URL elsewhere, paste the result back
  printf %s "$TOKEN" | conduit-mcp login --token-stdin
${STORAGE_HELP}`,
    )
    .action(async (flags: LoginFlags, command: Command) => {
      const url = serverUrl(flags);
      // A secret from the environment alone is ignored (it may be set for another tool); on the command line it needs its client.
      if (flags.clientSecret && !flags.clientId && command.getOptionValueSource('clientSecret') === 'cli') throw new Error('--client-secret needs --client-id.');
      if (!flags.clientId) delete flags.clientSecret;
      const reporter = stderrReporter();
      const store = await resolveStore(process.env, reporter);
      if (process.env[ENV_TOKEN]) reporter.warn(`${ENV_TOKEN} is set: it overrides stored credentials until you unset it.`);

      if (flags.token !== undefined || flags.tokenStdin) {
        const token = flags.tokenStdin ? await readStdin() : (flags.token ?? '');
        const result = await loginWithApiToken(url, token, store);
        reporter.info(`Stored the API token for ${url} in ${store.store.describe()}.`);
        await retireReplaced(result.replaced, result.credential, reporter);
        if (result.workspaceProblem) reporter.info(`Warning: ${result.workspaceProblem}`);
        else reporter.info(`Workspaces: ${result.workspaces.map((w) => w.slug).join(', ') || '(none)'}`);
        return;
      }

      const { credential, reused } = await signIn({
        url,
        openBrowser: flags.browser,
        ...(flags.browser ? {} : { pasteInput: process.stdin }),
        ...(flags.scope ? { scope: flags.scope } : {}),
        ...(flags.callbackPort !== undefined ? { callbackPort: flags.callbackPort } : {}),
        ...(flags.clientId ? { clientId: flags.clientId } : {}),
        ...(flags.clientSecret ? { clientSecret: flags.clientSecret } : {}),
        ...(flags.clientMetadataUrl ? { clientMetadataUrl: flags.clientMetadataUrl } : {}),
        timeoutMs: flags.timeout * 1000,
        reporter,
        store,
      });
      if (!reused) {
        reporter.info(`Signed in to ${url}${credential.scope ? ` with scopes ${credential.scope}` : ''}; credentials stored in ${store.store.describe()}.`);
      }
    });
}

/** The OAuth login, with the failures a wrong or unreachable URL causes told with their fix. */
async function signIn(options: LoginOptions): Promise<LoginResult> {
  const { url } = options;
  try {
    return await login(options);
  } catch (error) {
    const unreachable = unreachableProblem(url, error);
    if (unreachable) {
      throw new AuthError('unreachable', `${unreachable.what}. Nothing was stored. Fix: ${unreachable.fix} \`conduit-mcp doctor --url ${url}\` checks each step.`);
    }
    if (error instanceof DiscoveryError && error.code === 'resource_mismatch') {
      const hint = await suggestEndpoint(url);
      if (hint?.source === 'metadata') throw new AuthError(error.code, `${error.message} Fix: use --url ${hint.url} (the endpoint this server names in its metadata).`);
    }
    throw error;
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Paste the API token and press Enter, then Ctrl-D: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').trim();
}
