#!/usr/bin/env node
import type { CommandIo } from './commands/context.js';
import { runProgram } from './commands/program.js';
import { limitHeapGrowth } from './commands/heap-growth.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The only place the process is read: its environment, streams, signals and V8's flags. */
const io: CommandIo = {
  env: process.env,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readStdin,
  progress: process.stderr,
  limitHeapGrowth: (percent) => limitHeapGrowth(percent, process.execArgv),
  onShutdown(stop) {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${signal}: shutting down\n`);
      stop()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(1);
        });
      setTimeout(() => {
        process.stderr.write('shutdown did not finish within 10 s; exiting\n');
        process.exit(1);
      }, 10_000).unref();
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  },
};

void runProgram(io, process.argv.slice(2)).then((code) => {
  if (code !== 0) process.exit(code);
});
