import { Access } from './access.js';
import { createHttpClient } from './http.js';
import { createLog } from './log.js';
import type { BridgeOptions } from './options.js';
import { ToolPolicy } from './policy.js';
import { Relay } from './relay.js';
import { singleFlight, type TokenSource } from './token-source.js';
import { Upstream, type UpstreamLimits } from './upstream.js';

export interface BridgeIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  stderr: (line: string) => void;
  /** Called once the bridge has shut down; the CLI exits the process here. */
  exit: (code: number) => void;
}

export interface RunBridgeOptions extends BridgeOptions {
  /** Where the bearer token comes from; null when --header supplies Authorization. */
  tokenSource: TokenSource | null;
  /** What the user configured instead of stored credentials (CONDUIT_API_TOKEN, --header): signing in cannot replace it. */
  fixedCredential?: string | undefined;
  version: string;
  limits?: Partial<UpstreamLimits>;
  /** The environment the sign-in runs with (BROWSER, the credential store). */
  env?: NodeJS.ProcessEnv;
  /** Sign-in timings (tests shorten them). */
  access?: { watchIntervalMs?: number; autoSignInDelayMs?: number };
}

/** How long shutdown may take in total: hosts expect a stdio server gone within 2 s of asking. */
const SHUTDOWN_BUDGET_MS = 1_800;
const DRAIN_ON_EOF_MS = 1_000;

/**
 * Runs the stdio bridge until stdin ends or a signal arrives. Everything is wired synchronously
 * and stdin is read at once, with no probe request or handshake of the bridge's own first: the
 * client's initialize is the first thing sent upstream, so a warm start costs one round trip.
 */
export interface BridgeHandle {
  shutdown(reason: string): Promise<void>;
  /** Settles when the bridge has shut down, just before it calls `io.exit`. */
  finished: Promise<void>;
}

export function runBridge(options: RunBridgeOptions, io: BridgeIo = processIo()): BridgeHandle {
  const log = createLog(options.debug, io.stderr);
  let stopping = false;
  const write = (line: string) => {
    if (!stopping) io.output.write(`${line}\n`);
  };
  const auth = options.tokenSource ? singleFlight(options.tokenSource) : null;
  // Start reading the stored credential now, while the client is still getting ready to send
  // initialize; a missing one is found again (and answered for) when initialize arrives.
  void auth?.token().catch(() => undefined);
  const policy = new ToolPolicy({ workspace: options.workspace, readOnly: options.readOnly, include: options.tools, exclude: options.excludeTools });
  const url = options.url.href;
  const upstream: Upstream = new Upstream({
    url,
    http: createHttpClient(options.url),
    auth,
    headers: options.headers,
    userAgent: `conduit-mcp/${options.version} (bridge; node ${process.versions.node})`,
    log,
    onServerMessage: (message) => relay.fromServer(message),
    limits: options.limits,
  });
  const access: Access = new Access({
    url,
    env: options.env ?? process.env,
    log,
    tokens: auth,
    fixed: options.fixedCredential,
    reconnect: (): Promise<void> => relay.reconnect(),
    lastSentToken: () => upstream.lastSentToken,
    onToolsChanged: () => relay.toolsChanged(),
    onSignedIn: () => relay.signedIn(),
    onSignedOut: () => upstream.reset(),
    ...options.access,
  });
  const relay: Relay = new Relay({ upstream, policy, access, log, write, url, version: options.version });

  let buffered = '';
  const onData = (chunk: Buffer | string) => {
    buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, buffered[newline - 1] === '\r' ? newline - 1 : newline);
      buffered = buffered.slice(newline + 1);
      relay.fromClient(line);
      newline = buffered.indexOf('\n');
    }
  };
  io.input.on('data', onData);

  let done: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    done ??= (async () => {
      const deadline = setTimeout(() => io.exit(0), SHUTDOWN_BUDGET_MS);
      deadline.unref?.();
      log.debug(`shutting down (${reason})`);
      io.input.off('data', onData);
      access.close();
      if (reason === 'stdin closed' && relay.pending > 0) {
        // The client may have written its last requests and closed stdin: let them finish briefly.
        await Promise.race([relay.drain(), new Promise((resolve) => setTimeout(resolve, DRAIN_ON_EOF_MS).unref?.())]);
      }
      stopping = true;
      await upstream.close(Math.max(100, SHUTDOWN_BUDGET_MS - DRAIN_ON_EOF_MS - 300));
      clearTimeout(deadline);
      markFinished();
      io.exit(0);
    })();
    return done;
  };
  let markFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (markFinished = resolve));

  io.input.on('end', () => void shutdown('stdin closed'));
  io.input.on('error', () => void shutdown('stdin error'));
  io.output.on('error', () => void shutdown('stdout closed'));
  return { shutdown, finished };
}

function processIo(): BridgeIo {
  return {
    input: process.stdin,
    output: process.stdout,
    stderr: (line) => process.stderr.write(line),
    exit: (code) => process.exit(code),
  };
}

/** Signals that end the bridge the way hosts stop stdio servers (and a closed terminal). */
export function stopOnSignals(bridge: BridgeHandle): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void bridge.shutdown(signal));
  }
}
