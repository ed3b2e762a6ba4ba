import {
  BRIDGE_ERROR,
  errorResponse,
  isJsonRpcMessage,
  isRequest,
  isResponse,
  toolErrorResult,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type RequestId,
} from './jsonrpc.js';
import type { BridgeLog } from './log.js';
import type { ListedTool, ToolPolicy } from './policy.js';
import { LoginRequiredError } from './token-source.js';
import { BridgeFailure, describeError } from './failure.js';
import type { Reply, Upstream } from './upstream.js';

export interface RelayOptions {
  upstream: Upstream;
  policy: ToolPolicy;
  log: BridgeLog;
  /** Writes one line (a JSON-RPC message, no newline) to the client. */
  write(line: string): void;
  /** The command that logs in to this server, for LOGIN_REQUIRED errors. */
  loginCommand: string;
}

/**
 * The client side of the relay: takes the client's messages one line at a time, applies the
 * bridge's policies, hands them to the upstream session and writes every answer and server
 * message back as one line of JSON-RPC. Requests run concurrently; only initialize is a barrier,
 * because nothing may reach the server before the session exists.
 */
export class Relay {
  private readonly inFlight = new Set<Promise<void>>();
  private initializing: Promise<unknown> | undefined;
  private catalog: Promise<void> | undefined;
  private internalIds = 0;

  constructor(private readonly options: RelayOptions) {}

  /** A server message outside any answer (notification or server-to-client request). */
  fromServer(message: JsonRpcMessage): void {
    if (message.method === 'notifications/tools/list_changed') this.options.policy.forget();
    this.options.write(JSON.stringify(message));
  }

  /** One line from the client's stdin. */
  fromClient(line: string): void {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.send(errorResponse(null, BRIDGE_ERROR.PARSE_ERROR, 'Parse error: each line on stdin must be one JSON-RPC message.'));
      return;
    }
    if (!isJsonRpcMessage(message)) {
      const reason = Array.isArray(message) ? 'JSON-RPC batches are not supported (MCP 2025-06-18): send one message per line.' : 'Not a JSON-RPC 2.0 message.';
      this.send(errorResponse(null, BRIDGE_ERROR.INVALID_REQUEST, reason));
      return;
    }
    this.track(this.handle(message, line));
  }

  /** Resolves when every message received so far has been answered (or has failed). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private send(message: JsonRpcMessage | string): void {
    this.options.write(typeof message === 'string' ? message : JSON.stringify(message));
  }

  private async handle(message: JsonRpcMessage, line: string): Promise<void> {
    const { upstream, log } = this.options;
    if (isRequest(message) && message.method === 'initialize') {
      const started = performance.now();
      log.debug(`#${String(message.id)} → initialize`);
      this.options.policy.newSession();
      const attempt = this.answer(message, () => upstream.initialize(message, line));
      this.initializing = attempt;
      await attempt;
      log.debug(`#${String(message.id)} initialize answered in ${(performance.now() - started).toFixed(1)} ms`);
      return;
    }
    if (this.initializing) await this.initializing;

    if (!isRequest(message)) {
      // Notifications and the client's answers to server requests: forward, nothing to answer.
      log.debug(`→ ${message.method ?? (isResponse(message) ? `answer to server request ${String(message.id)}` : 'message')}`);
      try {
        await upstream.notify(line);
        if (message.method === 'notifications/initialized') upstream.listen();
      } catch (error) {
        log.warn(`could not forward ${message.method ?? 'a response'}: ${describeError(error)}`);
      }
      return;
    }

    switch (message.method) {
      case 'tools/list':
        log.debug(`#${String(message.id)} → tools/list`);
        return this.answer(message, async () => this.rewriteToolsList(await upstream.request(message.id, line, { retryRateLimited: true })));
      case 'tools/call':
        return this.answer(message, () => this.callTool(message, line));
      default:
        log.debug(`#${String(message.id)} → ${message.method}`);
        return this.answer(message, () => upstream.request(message.id, line, { retryRateLimited: true }));
    }
  }

  /** Runs `work` and writes its answer, or the error it failed with, as the reply to `request`. */
  private async answer(request: JsonRpcRequest, work: () => Promise<Reply>): Promise<void> {
    try {
      const reply = await work();
      this.send(reply ?? errorResponse(request.id, BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, 'The server accepted the request but sent no answer.'));
    } catch (error) {
      this.send(this.failure(request.id, error));
    }
  }

  private failure(id: RequestId, error: unknown): JsonRpcMessage {
    if (error instanceof LoginRequiredError) {
      // The credential layer's own messages may already say what to run.
      const hint = error.message.includes('conduit-mcp login') ? '' : ` Run \`${this.options.loginCommand}\` in a terminal, then restart this server in your MCP client.`;
      return errorResponse(id, BRIDGE_ERROR.LOGIN_REQUIRED, `${error.message}${hint}`, {
        reason: 'login_required',
        command: this.options.loginCommand,
      });
    }
    if (error instanceof BridgeFailure) {
      const extra = error.code === BRIDGE_ERROR.LOGIN_REQUIRED ? ` Run \`${this.options.loginCommand}\` in a terminal.` : '';
      return errorResponse(id, error.code, `${error.message}${extra}`, error.data);
    }
    this.options.log.warn(`internal error: ${describeError(error)}`);
    return errorResponse(id, -32603, `conduit-mcp internal error: ${describeError(error)}`);
  }

  private async callTool(message: JsonRpcRequest, line: string): Promise<Reply> {
    const { upstream, policy, log } = this.options;
    const params = (message.params ?? {}) as { name?: unknown; arguments?: unknown };
    const name = typeof params.name === 'string' ? params.name : '';
    const args = typeof params.arguments === 'object' && params.arguments !== null ? (params.arguments as Record<string, unknown>) : {};
    if (policy.needsCatalog) await this.loadCatalog();
    const decision = policy.decideCall(message.id, name, args);
    if ('refuse' in decision) {
      log.debug(`#${String(message.id)} tools/call ${name} refused by policy`);
      return toolErrorResult(message.id, 'forbidden', decision.refuse);
    }
    log.debug(`#${String(message.id)} → tools/call ${name}${decision.idempotencyKey ? ' (idempotency key added)' : ''}`);
    const body = decision.changed ? JSON.stringify({ ...message, params: { ...params, arguments: decision.arguments } }) : line;
    // A 429 on a tool the client never listed: learn what it is before deciding to wait and retry.
    const retryRateLimited =
      decision.read ||
      (async () => {
        if (!policy.catalogKnown) await this.loadCatalog().catch(() => undefined);
        return policy.isRead(name);
      });
    return upstream.request(message.id, body, { retryRateLimited, idempotencyKey: decision.idempotencyKey });
  }

  /** Applies the tool policies to a tools/list answer and remembers what each tool is. */
  private rewriteToolsList(reply: Reply): Reply {
    const message = typeof reply === 'string' ? (JSON.parse(reply) as JsonRpcMessage) : reply;
    const result = message?.result as ({ tools?: ListedTool[]; nextCursor?: unknown } & Record<string, unknown>) | undefined;
    if (!message || !result || !Array.isArray(result.tools)) return reply;
    this.options.policy.learn(result.tools, result.nextCursor === undefined);
    return { ...message, result: this.options.policy.rewriteList(result) };
  }

  /** Fetches the whole tool list once (all pages) so a policy can tell reads from writes. */
  private loadCatalog(): Promise<void> {
    this.catalog ??= (async () => {
      let cursor: unknown;
      do {
        const id = `conduit-mcp-tools-${++this.internalIds}`;
        const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: cursor === undefined ? {} : { cursor } });
        const reply = await this.options.upstream.request(id, body, { retryRateLimited: true });
        const message = typeof reply === 'string' ? (JSON.parse(reply) as JsonRpcMessage) : reply;
        const result = message?.result as { tools?: ListedTool[]; nextCursor?: unknown } | undefined;
        if (!result || !Array.isArray(result.tools)) throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, 'Could not read the tool list from the server.');
        cursor = result.nextCursor;
        this.options.policy.learn(result.tools, cursor === undefined);
      } while (cursor !== undefined);
    })().finally(() => (this.catalog = undefined));
    return this.catalog;
  }
}
