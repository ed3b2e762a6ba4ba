import { Command } from 'commander';
import { CLI_VERSION } from '../version.js';
import { addBridgeOptions, runBridgeCommand } from './command.js';

// `conduit-mcp [bridge options]`: the stdio bridge, without the login/status/doctor machinery.
// Option errors are reported by commander exactly as the full program would.
const program = addBridgeOptions(new Command('conduit-mcp')).action((options) => runBridgeCommand(options, CLI_VERSION));
await program.parseAsync(process.argv);
