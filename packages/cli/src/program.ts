import { Command, CommanderError } from 'commander';
import { AuthError } from './auth/errors.js';
import { addBridgeOptions, runBridgeCommand } from './bridge/command.js';
import { doctorCommand } from './commands/doctor.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { statusCommand } from './commands/status.js';
import { tokenCommand } from './commands/token.js';
import { unknownCommandMessage } from './commands/unknown-command.js';
import { LockTimeoutError } from './credentials/lock.js';
import { StoreUnavailableError } from './credentials/resolve.js';
import { CLI_VERSION } from './version.js';

/** The `conduit-mcp` program. Run without a command it is the stdio bridge (src/bridge). */
export function createProgram(): Command {
  const program = new Command('conduit-mcp')
    .description('Connect stdio-only MCP clients to Conduit: sign in, keep credentials in the OS keychain, and hand out valid tokens.')
    .version(CLI_VERSION)
    .showHelpAfterError()
    .addCommand(loginCommand())
    .addCommand(logoutCommand())
    .addCommand(statusCommand())
    .addCommand(tokenCommand())
    .addCommand(doctorCommand())
    .addHelpText(
      'after',
      `
Environment:
  CONDUIT_MCP_URL           MCP endpoint used when --url is not given (default https://api.conduit.ai/v1/mcp)
  CONDUIT_API_TOKEN         API token used for every server instead of stored credentials
  CONDUIT_CONFIG_DIR        directory of the file credential store and locks (default $XDG_CONFIG_HOME/conduit-mcp or ~/.config/conduit-mcp)
  CONDUIT_CREDENTIAL_STORE  auto (default), keychain or file
  BROWSER                   program used to open the sign-in page
  CONDUIT_MCP_DEBUG=1       diagnostic messages on stderr (never secrets)`,
    )
    // Root options apply only before a command name, so `login --url` stays the command's own.
    .enablePositionalOptions()
    // The bridge takes no arguments, so a word left over is a mistyped command: say so (commander
    // would answer "too many arguments").
    .allowExcessArguments()
    .action((options, command: Command) => {
      const [word] = command.args;
      if (word === undefined) return runBridgeCommand(options, CLI_VERSION);
      const names = command.commands.map((c) => c.name());
      process.stderr.write(`conduit-mcp: ${unknownCommandMessage(word, names)}\n`);
      process.exitCode = 1;
    });
  addBridgeOptions(program);
  return program;
}

/** Exit once the command is done even if a hung keychain probe still holds the event loop. */
function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
}

const program = createProgram();
program.exitOverride();
program
  .parseAsync(process.argv)
  .then(() => finish(typeof process.exitCode === 'number' ? process.exitCode : 0))
  .catch((error: unknown) => {
    if (error instanceof CommanderError) return finish(error.exitCode);
    const known = error instanceof AuthError || error instanceof LockTimeoutError || error instanceof StoreUnavailableError;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`conduit-mcp: ${known ? message : `error: ${message}`}\n`);
    finish(1);
  });
