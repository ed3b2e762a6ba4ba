import type { CommandIo } from '../src/commands/context.js';
import { runProgram } from '../src/commands/program.js';
import type { LogOutput } from '../src/logger.js';

export interface CommandResult {
  code: number;
  out: string;
  err: string;
}

export interface RunOptions {
  /** The whole environment the command sees (the test process's own is not passed). */
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  logOutput?: LogOutput;
  /** Receives serve's stop function. */
  onShutdown?: (stop: () => Promise<void>) => void;
  /** Receives serve's heap growth (this process's own V8 flags are left alone). */
  limitHeapGrowth?: (percent: number) => void;
}

/** Runs `conduit-mcp-server <args>` in this process, as cli.ts does, with its own environment and captured output. */
export async function runCommand(args: string[], options: RunOptions = {}): Promise<CommandResult> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    env: options.env ?? {},
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    readStdin: async () => options.stdin ?? '',
    logOutput: options.logOutput,
    onShutdown: options.onShutdown ?? (() => undefined),
    limitHeapGrowth: options.limitHeapGrowth ?? (() => undefined),
  };
  const code = await runProgram(io, args);
  return { code, out, err };
}
