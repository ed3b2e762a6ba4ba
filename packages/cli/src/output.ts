/**
 * Human-facing messages. Everything goes to stderr: stdout is reserved for what a command is asked to
 * print (a token for `conduit-mcp token`, JSON-RPC for the bridge). Callers never pass secrets here.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Only shown with CONDUIT_MCP_DEBUG=1. */
  debug(message: string): void;
}

export function stderrReporter(env: NodeJS.ProcessEnv = process.env): Reporter {
  const debug = env.CONDUIT_MCP_DEBUG === '1';
  return {
    info: (message) => void process.stderr.write(`${message}\n`),
    warn: (message) => void process.stderr.write(`conduit-mcp: ${message}\n`),
    debug: (message) => {
      if (debug) process.stderr.write(`conduit-mcp[${process.pid}]: ${message}\n`);
    },
  };
}

export const silentReporter: Reporter = { info: () => {}, warn: () => {}, debug: () => {} };
