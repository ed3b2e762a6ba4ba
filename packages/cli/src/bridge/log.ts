/**
 * stderr logging for the bridge. stdout belongs to the MCP client and carries only JSON-RPC, so
 * every human-readable line goes to stderr, where MCP hosts collect server logs. Callers never pass
 * tokens or header values here: lines name methods, ids, tools, statuses and timings only.
 */
export interface BridgeLog {
  info(line: string): void;
  warn(line: string): void;
  /** Only with --debug. */
  debug(line: string): void;
  readonly debugEnabled: boolean;
}

export function createLog(debug: boolean, write: (line: string) => void = (line) => process.stderr.write(line)): BridgeLog {
  const emit = (level: string, line: string) => write(`conduit-mcp ${level}: ${line}\n`);
  return {
    info: (line) => emit('info', line),
    warn: (line) => emit('warn', line),
    debug: debug ? (line) => emit('debug', line) : () => {},
    debugEnabled: debug,
  };
}
