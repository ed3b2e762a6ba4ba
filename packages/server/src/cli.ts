#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { migrateCommand, seedCommand } from './commands/maintenance.js';
import { serveCommand } from './commands/serve.js';
import { tokensCommand } from './commands/tokens.js';
import { usersCommand } from './commands/users.js';
import { workspacesCommand } from './commands/workspaces.js';
import { oauthCommand } from './commands/oauth.js';
import { SERVER_VERSION } from './version.js';

const program = new Command('conduit-mcp-server')
  .description('Self-hosted Conduit MCP server: the support tool catalog over streamable HTTP.')
  .version(SERVER_VERSION)
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(migrateCommand())
  .addCommand(seedCommand())
  .addCommand(workspacesCommand())
  .addCommand(usersCommand())
  .addCommand(tokensCommand())
  .addCommand(oauthCommand());

program.exitOverride();
program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
