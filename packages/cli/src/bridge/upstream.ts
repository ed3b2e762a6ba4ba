import { setTimeout as sleep } from 'node:timers/promises';
import { LoginRequiredError } from '../auth/errors.js';
import { parseBearerChallenge } from '../auth/www-authenticate.js';
import { isJsonRpcMessage, isResponse, type JsonRpcMessage, type JsonRpcRequest, type RequestId } from '../jsonrpc.js';
import { parseSse } from '../sse.js';
import { BRIDGE_ERROR } from './error-replies.js';
import { BridgeFailure, describeError, describeErrorBody, ScopeRequiredError, unreachable } from './failure.js';
import { errorCode, header, isNetworkError, retryAfterMs, type HttpClient, type HttpResponse } from './http.js';
import type { BridgeLog } from './log.js';
import type { TokenSource } from './token-source.js';

/** The server closed a response stream before it carried the answer: retried like a dropped connection. */
class StreamEndedError extends Error {
  readonly code = 'STREAM_ENDED';
}

export interface UpstreamLimits {
  /** Retries after a network failure or 502/503/504, with `backoffMs` between them. */
  networkRetries: number;
  backoffMs: number;
  /** Total time one request may spend waiting out 429 Retry-After before the error goes to the client. */
  maxRateLimitWaitMs: number;
  /** How long reading the stored credential may take before initialize is answered with an error. */
  tokenTimeoutMs: number;
}

export const DEFAULT_LIMITS: UpstreamLimits = { networkRetries: 2, backoffMs: 250, maxRateLimitWaitMs: 15_000, tokenTimeoutMs: 1_500 };

export interface UpstreamOptions {
  /** The MCP endpoint, for messages. */
  url: string;
  http: HttpClient;
  /** null when the Authorization header comes from --header. */
  auth: TokenSource | null;
  /** Extra headers from --header (lower-case names). */
  headers: Record<string, string>;
  userAgent: string;
  log: BridgeLog;
  /** Server messages that are not the answer to a request: notifications and server-to-client requests. */
  onServerMessage(message: JsonRpcMessage): void;
  limits?: Partial<UpstreamLimits>;
}

/** What a request got back: the raw JSON body (relayed as is), a parsed message, or nothing (202). */
export type Reply = string | JsonRpcMessage | null;

export interface SendOptions {
  /**
   * Whether to wait out a 429 and retry: reads yes, writes go back to the client with the error.
   * A function so the relay can find out what an unlisted tool is only when a 429 happens.
   */
  retryRateLimited: boolean | (() => Promise<boolean>);
  idempotencyKey?: string | undefined;
}

interface ExchangeOptions extends SendOptions {
  /** Re-initialize and retry once when the server says the session is gone. */
  sessionRetry: boolean;
  /** Take Mcp-Session-Id from this response (initialize). */
  captureSession: boolean;
}

/**
 * The server side of the relay: one streamable-HTTP session with the MCP endpoint. It owns the
 * session id and protocol version, replays the client's own initialize when the server loses the
 * session, swaps the token after a 401, waits out 429 for reads, and retries dropped connections
 * (safe because reads are idempotent and every write carries an idempotency key).
 */
export class Upstream {
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private initializeParams: Record<string, unknown> | undefined;
  private reinitializing: Promise<void> | undefined;
  private reinitCount = 0;
  /** The signal of the GET stream loop running now, if any. */
  private listening: AbortSignal | undefined;
  private listenUnsupported = false;
  private lastEventId: string | undefined;
  private lastToken: string | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  /** Ends the current GET stream (reset, close); replaced when the session is. */
  private listenAbort = new AbortController();
  private readonly limits: UpstreamLimits;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly options: UpstreamOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.baseHeaders = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'user-agent': options.userAgent,
      ...options.headers,
    };
  }

  get session(): string | undefined {
    return this.sessionId;
  }

  /** The bearer token last sent (or last attempted): the one a 401 refused. */
  get lastSentToken(): string | undefined {
    return this.lastToken;
  }

  /**
   * Forgets the session after the credential stopped working: the server cannot end it without a
   * valid token, and the next session starts with the next credential (openSession).
   */
  reset(): void {
    this.sessionId = undefined;
    this.protocolVersion = undefined;
    this.lastEventId = undefined;
    this.listenAbort.abort();
    this.listenAbort = new AbortController();
  }

  /**
   * Starts a session by replaying the client's initialize (and initialized), for a client whose
   * initialize the bridge answered itself while nobody was signed in, or after the server lost the
   * session. Resolves with the server's initialize result.
   */
  async openSession(params: Record<string, unknown>, label: string): Promise<JsonRpcMessage> {
    this.sessionId = undefined;
    this.protocolVersion = undefined;
    const id = `conduit-mcp-${label}`;
    const init = JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params });
    const reply = toMessage(await this.exchange(init, id, { retryRateLimited: true, sessionRetry: false, captureSession: true }));
    if (reply.error) {
      throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, `The server refused initialize: ${reply.error.message}`, { reason: 'initialize_failed' });
    }
    const version = (reply.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (typeof version === 'string') this.protocolVersion = version;
    this.initializeParams = params;
    await this.exchange(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), undefined, {
      retryRateLimited: true,
      sessionRetry: false,
      captureSession: false,
    });
    this.listen();
    return reply;
  }

  /** Forwards the client's own initialize; a new initialize starts a new session. */
  async initialize(message: JsonRpcRequest, body: string): Promise<JsonRpcMessage> {
    this.sessionId = undefined;
    this.protocolVersion = undefined;
    const reply = await this.exchange(body, message.id, { retryRateLimited: true, sessionRetry: false, captureSession: true });
    const parsed = toMessage(reply);
    const version = (parsed.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (typeof version === 'string') {
      this.protocolVersion = version;
      this.initializeParams = message.params;
    }
    return parsed;
  }

  /** A request with an id: resolves with the server's answer. */
  request(id: RequestId, body: string, options: SendOptions): Promise<Reply> {
    return this.exchange(body, id, { ...options, sessionRetry: true, captureSession: false });
  }

  /** A notification, or the client's answer to a server request: resolves once the server accepted it. */
  async notify(body: string): Promise<void> {
    await this.exchange(body, undefined, { retryRateLimited: true, sessionRetry: true, captureSession: false });
  }

  /**
   * Opens the GET stream on which a server may send notifications and requests outside any
   * response. A server without one answers 405, and the bridge does not ask again.
   */
  listen(): void {
    if ((this.listening && !this.listening.aborted) || this.listenUnsupported || this.closed) return;
    const signal = this.listenAbort.signal;
    this.listening = signal;
    void this.runListen(signal)
      .catch((error: unknown) => this.options.log.debug(`GET stream ended: ${describeError(error)}`))
      .finally(() => {
        if (this.listening === signal) this.listening = undefined;
      });
  }

  /** Ends the session (DELETE, bounded by `timeoutMs`) and closes the connections. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.listenAbort.abort();
    const session = this.sessionId;
    if (session !== undefined) {
      try {
        const headers = this.headersFor(this.lastToken, session, undefined);
        const res = await this.options.http.send('DELETE', headers, undefined, AbortSignal.timeout(timeoutMs));
        await res.body.dump();
        this.options.log.debug(`session ended (DELETE ${res.statusCode})`);
      } catch (error) {
        this.options.log.debug(`session DELETE failed: ${describeError(error)}`);
      }
    }
    await this.options.http.close();
  }

  private headersFor(token: string | undefined, session: string | undefined, idempotencyKey: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { ...this.baseHeaders };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (session !== undefined) headers['mcp-session-id'] = session;
    if (this.protocolVersion !== undefined) headers['mcp-protocol-version'] = this.protocolVersion;
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    return headers;
  }

  private async token(): Promise<string | undefined> {
    if (!this.options.auth) return undefined;
    this.lastToken = undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new BridgeFailure(
              BRIDGE_ERROR.LOGIN_REQUIRED,
              `Reading the stored credential took longer than ${this.limits.tokenTimeoutMs} ms (is the OS keychain locked?). Run \`npx conduit-mcp status\` in a terminal.`,
              { reason: 'credential_timeout' },
            ),
          ),
        this.limits.tokenTimeoutMs,
      );
    });
    try {
      this.lastToken = await Promise.race([this.options.auth.token(), timeout]);
      return this.lastToken;
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange(body: string, id: RequestId | undefined, options: ExchangeOptions): Promise<Reply> {
    const { log, http } = this.options;
    let refreshed = false;
    let reinitialized = false;
    let failures = 0;
    let waitedMs = 0;
    for (;;) {
      const token = await this.token();
      const session = this.sessionId;
      const started = performance.now();
      let res: HttpResponse;
      try {
        res = await http.send('POST', this.headersFor(token, session, options.idempotencyKey), body);
      } catch (error) {
        if (isNetworkError(error) && failures < this.limits.networkRetries && !this.closed) {
          failures += 1;
          log.debug(`${label(id)} ${errorCode(error) ?? 'network error'}; retry ${failures} in ${this.limits.backoffMs * failures} ms`);
          await sleep(this.limits.backoffMs * failures);
          continue;
        }
        throw unreachable(error);
      }
      const status = res.statusCode;
      log.debug(`${label(id)} ← HTTP ${status} in ${(performance.now() - started).toFixed(1)} ms`);

      if (status === 401) {
        await res.body.dump();
        if (token !== undefined && !refreshed) {
          refreshed = true;
          // Throws LoginRequiredError when nothing can replace the token (refresh refused, an API token).
          const next = await this.options.auth!.refresh(token);
          if (next === token) {
            // The refresh failed for now (the authorization server down or erring) and the login was
            // kept: not a reason to sign out. The next request tries again.
            throw new BridgeFailure(
              BRIDGE_ERROR.UPSTREAM_UNAVAILABLE,
              `The server refused the access token for ${this.options.url} (HTTP 401), and it could not be renewed now: the authorization server did not answer the refresh. The saved login is kept; try again in a moment.`,
              { reason: 'refresh_unavailable' },
            );
          }
          continue;
        }
        // The server did not run the request: it is safe to report, and to send again once signed in.
        throw token === undefined
          ? new LoginRequiredError(
              this.options.url,
              'The server rejected the Authorization header given with --header (HTTP 401).',
              'Correct the --header value where your MCP client starts conduit-mcp, and restart it there.',
            )
          : new LoginRequiredError(this.options.url, `The server rejected the new access token for ${this.options.url} too (HTTP 401).`);
      }
      if (status === 403) {
        const challenge = parseBearerChallenge(header(res.headers, 'www-authenticate'));
        if (challenge?.error === 'insufficient_scope') {
          const text = (await res.body.text()).slice(0, 2_000);
          const parsed = parseJson(text);
          const detail = (isJsonRpcMessage(parsed) ? parsed.error?.message : describeErrorBody(parsed)) ?? (challenge.errorDescription || 'insufficient_scope');
          throw new ScopeRequiredError(challenge.scope, detail);
        }
      }
      if (status === 404 && session !== undefined && options.sessionRetry && !reinitialized) {
        await res.body.dump();
        reinitialized = true;
        await this.reinitialize(session);
        continue;
      }
      if (status === 429) {
        await res.body.dump();
        const wait = retryAfterMs(res.headers['retry-after']) ?? 1_000;
        const retry = typeof options.retryRateLimited === 'function' ? await options.retryRateLimited() : options.retryRateLimited;
        if (retry && waitedMs + wait <= this.limits.maxRateLimitWaitMs && !this.closed) {
          waitedMs += wait;
          log.debug(`${label(id)} rate limited; waiting ${wait} ms (Retry-After)`);
          await sleep(wait);
          continue;
        }
        const seconds = Math.ceil(wait / 1000);
        throw new BridgeFailure(BRIDGE_ERROR.RATE_LIMITED, `Rate limited by the server: retry after ${seconds} s.`, {
          reason: 'rate_limited',
          retry_after_seconds: seconds,
        });
      }
      if ((status === 502 || status === 503 || status === 504) && failures < this.limits.networkRetries && !this.closed) {
        await res.body.dump();
        failures += 1;
        await sleep(this.limits.backoffMs * failures);
        continue;
      }
      try {
        return await this.readReply(res, id, options);
      } catch (error) {
        if (isNetworkError(error) && failures < this.limits.networkRetries && !this.closed) {
          failures += 1;
          log.debug(`${label(id)} response lost (${errorCode(error) ?? 'stream ended'}); retry ${failures}`);
          await sleep(this.limits.backoffMs * failures);
          continue;
        }
        throw isNetworkError(error) ? unreachable(error) : error;
      }
    }
  }

  private async readReply(res: HttpResponse, id: RequestId | undefined, options: ExchangeOptions): Promise<Reply> {
    const status = res.statusCode;
    if (status === 202 || status === 204) {
      await res.body.dump();
      return null;
    }
    const type = header(res.headers, 'content-type') ?? '';
    if (status >= 200 && status < 300) {
      if (options.captureSession) this.sessionId = header(res.headers, 'mcp-session-id');
      if (type.startsWith('text/event-stream')) return this.readStreamedReply(res, id);
      const text = await res.body.text();
      if (id === undefined) return null;
      if (!type.includes('json') || !text.trimStart().startsWith('{')) {
        throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, `The server answered HTTP ${status} with ${type || 'no content type'} instead of JSON.`, {
          reason: 'bad_response',
          status,
        });
      }
      // Relayed as is, so it must be the answer to this very request: anything else (truncated,
      // not JSON-RPC, another id) would break the client's stdio stream or leave its call waiting.
      const parsed = parseJson(text);
      if (!isJsonRpcMessage(parsed) || !isResponse(parsed) || parsed.id !== id) {
        throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, `The server answered HTTP ${status} with JSON that is not a JSON-RPC answer to this request.`, {
          reason: 'bad_response',
          status,
        });
      }
      // JSON allows raw line breaks only as whitespace between tokens, so this keeps the message
      // identical while making it one line, as the stdio transport requires.
      return /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text;
    }
    const text = (await res.body.text()).slice(0, 4_000);
    const parsed = parseJson(text);
    if (isJsonRpcMessage(parsed) && parsed.error && id !== undefined) return { ...parsed, id };
    const detail = describeErrorBody(parsed) ?? (text.trim().slice(0, 200) || 'no details');
    throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, `The server answered HTTP ${status}: ${detail}`, { reason: 'http_error', status });
  }

  /**
   * An SSE response: the answer to `id` resolves the call as soon as it arrives; every other
   * message on the stream (progress, logs, server requests) goes to the client as it comes.
   */
  private readStreamedReply(res: HttpResponse, id: RequestId | undefined): Promise<Reply> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const consume = async () => {
        for await (const event of parseSse(res.body)) {
          const message = parseJson(event.data);
          if (!isJsonRpcMessage(message)) continue;
          if (!answered && id !== undefined && isResponse(message) && message.id === id) {
            answered = true;
            resolve(message);
          } else {
            this.options.onServerMessage(message);
          }
        }
      };
      consume().then(
        () => {
          if (answered) return;
          if (id === undefined) resolve(null);
          else reject(new StreamEndedError('the server closed the response stream before answering'));
        },
        (error: unknown) => {
          if (!answered) reject(error);
          else this.options.log.debug(`response stream broke after the answer: ${describeError(error)}`);
        },
      );
    });
  }

  /** Replays the client's initialize (and initialized) to get a new session; concurrent callers share one. */
  private async reinitialize(staleSession: string): Promise<void> {
    if (this.reinitializing) return this.reinitializing;
    if (this.sessionId !== staleSession) return; // another request already replaced it
    if (!this.initializeParams) {
      throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, 'The server lost the session before initialize completed.', { reason: 'session_lost' });
    }
    const params = this.initializeParams;
    this.reinitializing = (async () => {
      this.reinitCount += 1;
      this.options.log.info(`session expired on the server; re-initializing (${this.reinitCount})`);
      try {
        await this.openSession(params, `reinitialize-${this.reinitCount}`);
      } catch (error) {
        if (!(error instanceof BridgeFailure) || error.data?.reason !== 'initialize_failed') throw error;
        throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, `Re-initializing the session failed: ${error.message}`, { reason: 'session_lost' });
      }
    })().finally(() => (this.reinitializing = undefined));
    return this.reinitializing;
  }

  private async runListen(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!this.closed && !signal.aborted) {
      const session = this.sessionId;
      const headers: Record<string, string> = { ...this.headersFor(await this.token(), session, undefined), accept: 'text/event-stream' };
      delete headers['content-type'];
      if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
      let res: HttpResponse;
      try {
        res = await this.options.http.send('GET', headers, undefined, signal);
      } catch (error) {
        if (this.closed || signal.aborted || ++failures > 5) return;
        this.options.log.debug(`GET stream: ${errorCode(error) ?? describeError(error)}; reconnecting`);
        await sleep(1_000 * failures);
        continue;
      }
      const type = header(res.headers, 'content-type') ?? '';
      if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        await res.body.dump();
        // 405: no such stream on this server. 404/401: the POST path re-initializes or refreshes
        // and calls listen() again once the session is usable.
        if (res.statusCode === 405) this.listenUnsupported = true;
        return;
      }
      failures = 0;
      try {
        for await (const event of parseSse(res.body)) {
          if (event.id !== undefined) this.lastEventId = event.id;
          const message = parseJson(event.data);
          if (isJsonRpcMessage(message)) this.options.onServerMessage(message);
        }
      } catch (error) {
        if (this.closed || signal.aborted) return;
        this.options.log.debug(`GET stream broke: ${describeError(error)}`);
      }
      if (!this.closed && !signal.aborted) await sleep(500);
    }
  }
}

function label(id: RequestId | undefined): string {
  return id === undefined ? 'notification' : `#${String(id)}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toMessage(reply: Reply): JsonRpcMessage {
  const message = typeof reply === 'string' ? parseJson(reply) : reply;
  if (!isJsonRpcMessage(message)) {
    throw new BridgeFailure(BRIDGE_ERROR.UPSTREAM_UNAVAILABLE, 'The server sent no JSON-RPC answer to initialize.', { reason: 'bad_response' });
  }
  return message;
}
