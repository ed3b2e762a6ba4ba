import { Command, CommanderError } from 'commander';
import { SERVER_VERSION } from '../version.js';
import type { CommandIo } from './context.js';
import { migrateCommand, seedCommand } from './maintenance.js';
import { membersCommand } from './members.js';
import { oauthCommand } from './oauth.js';
import { serveCommand } from './serve.js';
import { tokensCommand } from './tokens.js';
import { usersCommand } from './users.js';
import { workspacesCommand } from './workspaces.js';

/** The `conduit-mcp-server` program; `cli.ts` runs it on the process, tests on their own CommandIo. */
export function createProgram(io: CommandIo): Command {
  const program = new Command('conduit-mcp-server')
    .description('Self-hosted Conduit MCP server: the support tool catalog over streamable HTTP.')
    .version(SERVER_VERSION)
    .showHelpAfterError()
    .addCommand(serveCommand(io))
    .addCommand(migrateCommand(io))
    .addCommand(seedCommand(io))
    .addCommand(workspacesCommand(io))
    .addCommand(usersCommand(io))
    .addCommand(membersCommand(io))
    .addCommand(tokensCommand(io))
    .addCommand(oauthCommand(io));
  // Every command reports through io and throws instead of exiting: cli.ts decides the exit code.
  const configure = (command: Command): void => {
    command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
    command.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/**
 * Runs one command line (without `node` and the script) and returns the exit code: 0 once the
 * command is done (for `serve`, once it listens), else 1 with each line of the error on stderr,
 * or commander's own code for usage errors and --help.
 */
export async function runProgram(io: CommandIo, args: string[]): Promise<number> {
  try {
    await createProgram(io).parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    io.err(message.split('\n').map((line) => `error: ${line}\n`).join(''));
    return 1;
  }
}
