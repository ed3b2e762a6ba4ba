import type { Command } from 'commander';
import { bridgeTokenSource } from './credentials.js';
import { OptionError, resolveBridgeOptions, type RawBridgeOptions } from './options.js';
import { runBridge, stopOnSignals } from './run.js';

/** The bridge's options: one table for commander and for the start-up dispatch in argv.ts. */
export const BRIDGE_OPTIONS = [
  { flags: '--url <url>', description: 'MCP endpoint (env CONDUIT_MCP_URL; default https://api.conduit.ai/v1/mcp)' },
  { flags: '--workspace <id|slug>', description: 'pin a workspace: injected as workspace_id where a tool call has none' },
  { flags: '--read-only', description: 'hide and refuse every tool not annotated readOnlyHint' },
  { flags: '--tools <globs...>', description: 'only expose tools matching these globs (e.g. "list_*" "get_*")' },
  { flags: '--exclude-tools <globs...>', description: 'hide tools matching these globs (e.g. "send_*")' },
  { flags: '--header <header...>', description: 'extra HTTP header for every request, "Name: value" (repeatable)' },
  { flags: '--debug', description: 'log each request and response line to stderr (never tokens)' },
] as const;

/** Adds the bridge's options to the CLI's root command (the bridge is what `conduit-mcp` runs by default). */
export function addBridgeOptions(command: Command): Command {
  for (const option of BRIDGE_OPTIONS) command.option(option.flags, option.description);
  return command;
}

/**
 * The default action: run the stdio bridge until stdin ends or a signal arrives. stdout is the
 * MCP channel from here on, so anything a library might print with console.log goes to stderr.
 */
export async function runBridgeCommand(raw: RawBridgeOptions, version: string): Promise<void> {
  let options;
  try {
    options = resolveBridgeOptions(raw);
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    process.stderr.write(`conduit-mcp: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  // eslint-disable-next-line no-console -- redirecting console is the point: stdout is the MCP channel
  console.log = console.info = console.debug = console.error;
  if (process.stdin.isTTY) {
    process.stderr.write(`conduit-mcp: bridging stdio to ${options.url.href}. MCP clients start this command themselves; see \`conduit-mcp --help\`.\n`);
  }
  const byHeader = options.headers.authorization !== undefined;
  const tokenSource = byHeader ? null : bridgeTokenSource(options.url.href);
  const fixedCredential = byHeader ? '--header' : process.env.CONDUIT_API_TOKEN?.trim() ? 'CONDUIT_API_TOKEN' : undefined;
  const bridge = runBridge({ ...options, tokenSource, fixedCredential, version });
  stopOnSignals(bridge);
  await bridge.finished;
}
