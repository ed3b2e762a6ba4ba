import { randomUUID } from 'node:crypto';
import { AuthError } from '../auth/errors.js';
import { isJsonRpcMessage, isRequest, isResponse, type JsonRpcMessage, type JsonRpcRequest, type RequestId } from '../jsonrpc.js';
import { Access } from './access.js';
import { BRIDGE_ERROR, errorResponse, toolErrorResult } from './error-replies.js';
import type { BridgeLog } from './log.js';
import type { ListedTool, ToolPolicy } from './policy.js';
import { BridgeFailure, describeError, ScopeRequiredError } from './failure.js';
import {
  describeProblem,
  elicitedAnswer,
  localInitializeResult,
  scopeRefusedText,
  SIGN_IN_TOOL,
  signedOutCallText,
  signedOutInstructions,
  signInAnswer,
  signInTool,
  type SignInAnswer,
} from './sign-in-tool.js';
import type { Reply, Upstream } from './upstream.js';

export interface RelayOptions {
  upstream: Upstream;
  policy: ToolPolicy;
  access: Access;
  log: BridgeLog;
  /** Writes one line (a JSON-RPC message, no newline) to the client. */
  write(line: string): void;
  url: string;
  version: string;
}

/** URL-mode elicitation: a JSON-RPC error asking the client to open these pages first (MCP 2025-11-25). */
const URL_ELICITATION_REQUIRED = -32042;

/**
 * The client side of the relay: takes the client's messages one line at a time, applies the
 * bridge's policies, hands them to the upstream session and writes every answer and server
 * message back as one line of JSON-RPC. Requests run concurrently; only initialize is a barrier,
 * because nothing may reach the server before the session exists.
 *
 * While nobody is signed in (see access.ts) the relay answers the client itself: initialize at
 * once, a tool list of conduit_sign_in, and calls with what to do; once a credential works it
 * opens the session with the client's own initialize and tells the client the tools changed.
 */
export class Relay {
  private readonly inFlight = new Set<Promise<void>>();
  private initializing: Promise<unknown> | undefined;
  private catalog: Promise<void> | undefined;
  private internalIds = 0;
  /** The client's initialize params: replayed to the server once signed in. */
  private clientInitialize: Record<string, unknown> | undefined;
  /** The client shows URL-mode elicitations (capabilities.elicitation.url). */
  private elicitsUrls = false;
  /** Requests the bridge itself sent the client, by id. */
  private readonly clientRequests = new Map<string, (message: JsonRpcMessage) => void>();
  /** URL elicitations handed out for the sign-in, completed (notified) when it is done. */
  private readonly elicitations = new Set<string>();
  private sessions = 0;

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

  /** Access is back: open the session the client initialized while signed out (access.ts calls this). */
  async reconnect(): Promise<void> {
    this.options.policy.forget();
    if (this.clientInitialize === undefined) return;
    this.sessions += 1;
    await this.options.upstream.openSession(this.clientInitialize, `sign-in-${this.sessions}`);
  }

  /** Tells the client its tool list changed (once it may be told anything). */
  toolsChanged(): void {
    if (!this.options.access.hostReady) return;
    this.options.log.debug('→ client: notifications/tools/list_changed');
    this.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  }

  /** Signed in again: close the sign-in pages the client was shown, then show the real tools. */
  signedIn(): void {
    for (const elicitationId of this.elicitations) {
      this.send({ jsonrpc: '2.0', method: 'notifications/elicitation/complete', params: { elicitationId } });
    }
    this.elicitations.clear();
    this.toolsChanged();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private send(message: JsonRpcMessage | string): void {
    this.options.write(typeof message === 'string' ? message : JSON.stringify(message));
  }

  private async handle(message: JsonRpcMessage, line: string): Promise<void> {
    const { log, access } = this.options;
    if (isRequest(message) && message.method === 'initialize') {
      const started = performance.now();
      log.debug(`#${String(message.id)} → initialize`);
      this.options.policy.newSession();
      this.clientInitialize = message.params ?? {};
      const elicitation = (message.params?.capabilities as { elicitation?: { url?: unknown } } | undefined)?.elicitation;
      this.elicitsUrls = typeof elicitation?.url === 'object' && elicitation.url !== null;
      const attempt = this.answer(message, () => this.initialize(message, line));
      this.initializing = attempt;
      await attempt;
      log.debug(`#${String(message.id)} initialize answered in ${(performance.now() - started).toFixed(1)} ms`);
      return;
    }
    if (this.initializing) await this.initializing;

    if (!isRequest(message)) {
      if (isResponse(message) && typeof message.id === 'string' && this.clientRequests.has(message.id)) {
        this.clientRequests.get(message.id)!(message);
        return;
      }
      if (message.method === 'notifications/initialized') access.hostInitialized();
      // Nothing to forward to while signed out: the session opens with the client's initialize later.
      if (access.signedOut) return;
      // Notifications and the client's answers to server requests: forward, nothing to answer.
      log.debug(`→ ${message.method ?? (isResponse(message) ? `answer to server request ${String(message.id)}` : 'message')}`);
      try {
        await this.options.upstream.notify(line);
        if (message.method === 'notifications/initialized') this.options.upstream.listen();
      } catch (error) {
        log.warn(`could not forward ${message.method ?? 'a response'}: ${describeError(error)}`);
      }
      return;
    }

    switch (message.method) {
      case 'tools/list':
        log.debug(`#${String(message.id)} → tools/list`);
        return this.answer(message, () => this.listTools(message, line));
      case 'tools/call':
        return this.answer(message, () => this.callTool(message, line));
      case 'ping':
        if (access.signedOut) return this.answer(message, async () => ({ jsonrpc: '2.0', id: message.id, result: {} }));
        break;
    }
    log.debug(`#${String(message.id)} → ${message.method}`);
    return this.answer(message, () => this.whileSignedIn(message, () => this.options.upstream.request(message.id, line, { retryRateLimited: true })));
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

  /** Sends a request that needs the server; while signed out (or on finding out), answers with what to do. */
  private async whileSignedIn(message: JsonRpcRequest, work: () => Promise<Reply>): Promise<Reply> {
    const { access, url } = this.options;
    try {
      if (!access.signedOut) return await work();
    } catch (error) {
      if (!Access.needsUser(error)) throw error;
      access.signOut(error);
    }
    const problem = access.signedOut!;
    const next = problem.kind === 'fixed' ? '' : ` Call ${SIGN_IN_TOOL}, or run \`${access.login}\` in a terminal.`;
    return errorResponse(message.id, BRIDGE_ERROR.LOGIN_REQUIRED, `${describeProblem(problem, url)}${next}`, {
      reason: 'login_required',
      command: access.login,
    });
  }

  private async initialize(message: JsonRpcRequest, line: string): Promise<Reply> {
    const { access, upstream, url, version } = this.options;
    if (!access.signedOut) {
      try {
        return listChangedDeclared(await upstream.initialize(message, line));
      } catch (error) {
        if (!Access.needsUser(error)) throw error;
        access.signOut(error);
      }
    }
    // Hosts do not show why initialize failed, and will not wait for a browser: answer now.
    const problem = access.signedOut!;
    return { jsonrpc: '2.0', id: message.id, result: localInitializeResult(message.params, version, signedOutInstructions(problem, url, access.login)) };
  }

  private async listTools(message: JsonRpcRequest, line: string): Promise<Reply> {
    const { access, upstream } = this.options;
    const own = () => (access.toolPurpose ? signInTool(access.toolPurpose) : undefined);
    const reply = await this.whileSignedIn(message, async () => this.rewriteToolsList(await upstream.request(message.id, line, { retryRateLimited: true })));
    if (access.signedOut) return { jsonrpc: '2.0', id: message.id, result: { tools: [own()] } };
    // The bridge's own tool goes on the first page, next to the server's.
    const extra = own();
    const cursor = (message.params as { cursor?: unknown } | undefined)?.cursor;
    const parsed = typeof reply === 'string' ? (JSON.parse(reply) as JsonRpcMessage) : reply;
    const result = parsed?.result as { tools?: ListedTool[] } | undefined;
    if (!extra || cursor !== undefined || !parsed || !Array.isArray(result?.tools)) return reply;
    return { ...parsed, result: { ...result, tools: [...result.tools, extra] } };
  }

  private failure(id: RequestId, error: unknown): JsonRpcMessage {
    if (error instanceof BridgeFailure) return errorResponse(id, error.code, error.message, error.data);
    // The auth layer's other failures (the authorization server unreachable during a refresh…) are
    // written for the user and leave the credential in place: report them, and try again next time.
    if (error instanceof AuthError) return errorResponse(id, BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, error.message, { reason: error.code });
    this.options.log.warn(`internal error: ${describeError(error)}`);
    return errorResponse(id, -32603, `conduit-mcp internal error: ${describeError(error)}`);
  }

  private async callTool(message: JsonRpcRequest, line: string): Promise<Reply> {
    const { upstream, policy, log, access } = this.options;
    const params = (message.params ?? {}) as { name?: unknown; arguments?: unknown };
    const name = typeof params.name === 'string' ? params.name : '';
    if (name === SIGN_IN_TOOL) return this.signIn(message.id);
    if (access.signedOut) return this.signedOutCall(message.id, name);
    const args = typeof params.arguments === 'object' && params.arguments !== null ? (params.arguments as Record<string, unknown>) : {};
    try {
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
      return await upstream.request(message.id, body, { retryRateLimited, idempotencyKey: decision.idempotencyKey });
    } catch (error) {
      if (Access.needsUser(error)) {
        access.signOut(error);
        return this.signedOutCall(message.id, name);
      }
      if (!(error instanceof ScopeRequiredError)) throw error;
      const offer = await access.offerScope(name, error);
      return toolErrorResult(message.id, 'insufficient_scope', scopeRefusedText(offer, offer ? undefined : access.fixedCredential, name, access.login));
    }
  }

  /** A call while signed out: nothing is sent; the client learns how to sign in. */
  private async signedOutCall(id: RequestId, tool: string): Promise<Reply> {
    const { access, url } = this.options;
    const problem = access.signedOut!;
    if (this.elicitsUrls && problem.kind !== 'fixed') {
      const start = await access.startSignIn(false);
      if (start?.link) {
        const elicitationId = randomUUID();
        this.elicitations.add(elicitationId);
        return errorResponse(id, URL_ELICITATION_REQUIRED, `${describeProblem(problem, url)} Sign in to Conduit to use ${tool}.`, {
          elicitations: [{ mode: 'url', elicitationId, url: start.link, message: `Sign in to Conduit (${new URL(url).host}) to use its tools here.` }],
        });
      }
    }
    return toolErrorResult(id, 'sign_in_required', signedOutCallText(problem, url, access.login, tool));
  }

  /** conduit_sign_in: the sign-in link and what to do, through the client's URL elicitation where it has one. */
  private async signIn(id: RequestId): Promise<Reply> {
    const { access, url, log } = this.options;
    await access.check();
    const purpose = access.toolPurpose;
    if (purpose === undefined) return toolResult(id, { isError: false, text: `You are signed in to Conduit (${url}); its tools are listed now.` });
    if (purpose === 'fixed') return toolResult(id, { isError: true, text: `Signing in here cannot help: ${describeProblem(access.signedOut!, url)}` });
    const scope = purpose === 'scope';
    const start = (await access.startSignIn(!this.elicitsUrls))!;
    if (!this.elicitsUrls || start.link === undefined || start.error !== undefined) return toolResult(id, signInAnswer(start, url, access.login, scope));

    const elicitationId = randomUUID();
    this.elicitations.add(elicitationId);
    log.debug(`→ client: elicitation/create (url) for the sign-in`);
    const reply = await this.requestClient('elicitation/create', {
      mode: 'url',
      elicitationId,
      url: start.link,
      message: scope ? `Sign in to Conduit (${new URL(url).host}) again to allow writes.` : `Sign in to Conduit (${new URL(url).host}) to use its tools here.`,
    });
    const action = (reply.result as { action?: unknown } | undefined)?.action;
    if (reply.error || typeof action !== 'string') return toolResult(id, signInAnswer(start, url, access.login, scope));
    if (action !== 'accept') this.elicitations.delete(elicitationId);
    return toolResult(id, elicitedAnswer(action, start.link, url, scope));
  }

  /** Sends the client a request of the bridge's own and waits for its answer. */
  private requestClient(method: string, params: Record<string, unknown>): Promise<JsonRpcMessage> {
    const id = `conduit-mcp-${randomUUID()}`;
    return new Promise((resolve) => {
      this.clientRequests.set(id, (message) => {
        this.clientRequests.delete(id);
        resolve(message);
      });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
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

function toolResult(id: RequestId, answer: SignInAnswer): JsonRpcMessage {
  return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: answer.text }], ...(answer.isError ? { isError: true } : {}) } };
}

/**
 * The server's initialize answer with `tools.listChanged` declared: whatever the server says, the
 * bridge's own tool list changes when access is lost or regained, and it says so.
 */
function listChangedDeclared(reply: Reply): Reply {
  const message = typeof reply === 'string' ? (JSON.parse(reply) as JsonRpcMessage) : reply;
  const result = message?.result as { capabilities?: { tools?: Record<string, unknown> } & Record<string, unknown> } | undefined;
  if (!message || !result || typeof result !== 'object') return reply;
  const capabilities = result.capabilities ?? {};
  return { ...message, result: { ...result, capabilities: { ...capabilities, tools: { ...capabilities.tools, listChanged: true } } } };
}
