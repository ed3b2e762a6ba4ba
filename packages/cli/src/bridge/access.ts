import { LoginRequiredError, NotLoggedInError, type AuthError } from '../auth/errors.js';
import { loginCommand } from '../auth/login-command.js';
import { hasScopes, unionScopes } from '../auth/scopes.js';
import { describeError, type ScopeRequiredError } from './failure.js';
import type { BridgeLog } from './log.js';
import { SignInFlows, type SignInStart } from './sign-in-flow.js';
import { describeProblem, SIGN_IN_TOOL, type AccessProblem, type ScopeOffer } from './sign-in-tool.js';
import type { TokenSource } from './token-source.js';

export interface AccessOptions {
  url: string;
  env: NodeJS.ProcessEnv;
  log: BridgeLog;
  /** Where tokens come from; null when --header supplies Authorization. */
  tokens: TokenSource | null;
  /** What the user configured instead of stored credentials (CONDUIT_API_TOKEN, --header): signing in cannot replace it. */
  fixed: string | undefined;
  /** Opens the server session with the credential now stored; throws when the server refuses it. */
  reconnect(): Promise<void>;
  /** The bearer token the last request carried (the one the server refused). */
  lastSentToken(): string | undefined;
  /** The tools the client should see changed: signed out, signed in, a sign-in offered or withdrawn. */
  onToolsChanged(): void;
  /** Signed in again after having been signed out (the session is open). */
  onSignedIn(): void;
  /** Signed out: the server session cannot be used (or ended) without a credential. */
  onSignedOut(): void;
  /** How often to look for a credential stored by anyone while one is needed. */
  watchIntervalMs?: number;
  /** How long after the client's `initialized` the bridge starts a browser sign-in by itself. */
  autoSignInDelayMs?: number;
}

/**
 * Whether the bridge can reach Conduit's tools, and what it takes when it cannot. Signed out (no
 * credential, a refresh refused, a token rejected), the bridge answers the client itself and
 * offers conduit_sign_in; with a read-only credential that a write needed more than, it offers the
 * same tool for the wider scope. Meanwhile it looks in the credential store every couple of
 * seconds for a credential stored by anyone — its own browser sign-in, `conduit-mcp login` in a
 * terminal, another bridge — and switches back as soon as one works.
 *
 * Reading the store costs one keychain lookup or one file read: measured about 0.3 ms of CPU per
 * look (keychain), so the default two-second period costs the idle bridge nothing noticeable.
 */
export class Access {
  private problem: AccessProblem | undefined;
  private offer: ScopeOffer | undefined;
  /** The stored token already tried: refused, or too narrow for the scope offer. */
  private known: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private ready = false;
  private autoStarted = false;
  private closed = false;
  private readonly flows: SignInFlows | undefined;
  /** The command that signs in from a terminal, as the user types it. */
  readonly login: string;

  constructor(private readonly options: AccessOptions) {
    this.login = loginCommand(options.url, options.env);
    if (options.tokens?.peek) this.flows = new SignInFlows({ url: options.url, env: options.env, log: options.log, onStored: () => void this.check(), refused: () => this.known });
  }

  get signedOut(): AccessProblem | undefined {
    return this.problem;
  }

  get scopeOffer(): ScopeOffer | undefined {
    return this.offer;
  }

  /** What the user configured instead of stored credentials (CONDUIT_API_TOKEN, --header), if anything. */
  get fixedCredential(): string | undefined {
    return this.options.fixed;
  }

  /** Whether the client finished initializing (so notifications may be sent). */
  get hostReady(): boolean {
    return this.ready;
  }

  /** How conduit_sign_in is offered now, if at all. */
  get toolPurpose(): 'sign_in' | 'scope' | 'fixed' | undefined {
    if (this.problem) return this.problem.kind === 'fixed' ? 'fixed' : 'sign_in';
    return this.offer ? 'scope' : undefined;
  }

  /** The client sent `notifications/initialized`. */
  hostInitialized(): void {
    if (this.ready) return;
    this.ready = true;
    if (this.problem) this.scheduleAutoSignIn();
  }

  /** Whether this error means only the user can restore access (sign in, a new token). */
  static needsUser(error: unknown): error is AuthError {
    return error instanceof NotLoggedInError || error instanceof LoginRequiredError;
  }

  /** A request found the credential missing or refused: serve conduit_sign_in until one works. */
  signOut(error: AuthError): AccessProblem {
    if (this.problem) return this.problem;
    const reason = error instanceof LoginRequiredError ? error.reason : error.message;
    this.problem =
      this.flows === undefined
        ? { kind: 'fixed', reason, hint: error instanceof LoginRequiredError ? error.hint : '' }
        : error instanceof NotLoggedInError
          ? { kind: 'not_signed_in' }
          : { kind: 'ended', reason };
    this.offer = undefined;
    this.known = this.options.lastSentToken();
    this.options.onSignedOut();
    const { log, url } = this.options;
    if (this.problem.kind === 'fixed') log.warn(describeProblem(this.problem, url));
    else log.info(`${describeProblem(this.problem, url)} Serving ${SIGN_IN_TOOL} until a credential appears (call it, or run \`${this.login}\` in a terminal).`);
    if (this.ready) {
      this.options.onToolsChanged();
      this.scheduleAutoSignIn();
    }
    this.watch();
    return this.problem;
  }

  /** A write was refused for lack of scope: offer a sign-in for the wider scope (never for a fixed token). */
  async offerScope(tool: string, error: ScopeRequiredError): Promise<ScopeOffer | undefined> {
    const peek = this.options.tokens?.peek;
    if (!this.flows || !peek) return undefined;
    const stored = await peek().catch(() => null);
    const first = this.offer === undefined;
    this.offer = { tool, required: error.scope, granted: stored?.kind === 'oauth' ? stored.scope : undefined, credential: stored?.kind ?? 'oauth' };
    this.known = this.options.lastSentToken();
    this.options.log.info(`${tool} was refused for lack of scope (${error.detail}); offering ${SIGN_IN_TOOL} for write access`);
    if (first && this.ready) this.options.onToolsChanged();
    this.watch();
    return this.offer;
  }

  /**
   * Starts (or finds) the browser sign-in for conduit_sign_in. `openBrowser`: start a browser on
   * it here, when this call starts it; false when the client opens the page itself (URL elicitation).
   */
  async startSignIn(openBrowser: boolean): Promise<SignInStart | undefined> {
    if (!this.flows) return undefined;
    const scope = !this.problem && this.offer?.required ? unionScopes(this.offer.granted, this.offer.required) : undefined;
    const { canOpenBrowser } = await import('../auth/browser.js');
    return this.flows.start(openBrowser && canOpenBrowser(this.options.env), scope);
  }

  /** Looks at the store now (also what the periodic watch does); resolves once any switch is done. */
  check(): Promise<void> {
    this.checking ??= this.runCheck().finally(() => (this.checking = undefined));
    return this.checking;
  }

  close(): void {
    this.closed = true;
    this.unwatch();
  }

  private async runCheck(): Promise<void> {
    const tokens = this.options.tokens;
    if ((!this.problem && !this.offer) || !tokens?.peek || this.closed) return this.unwatch();
    const { log, url } = this.options;
    let stored;
    try {
      stored = await tokens.peek();
    } catch (error) {
      log.debug(`reading the credential store failed: ${describeError(error)}`);
      return;
    }
    if (!stored || stored.token === this.known) return;
    this.known = stored.token;
    tokens.reload?.();

    if (!this.problem) {
      // Offering more scope: a new credential either has it (or cannot say: an API token) or not.
      if (stored.kind === 'oauth' && stored.scope !== undefined && this.offer?.required && !hasScopes(stored.scope, this.offer.required)) {
        // Also what every hourly refresh of the narrow credential looks like: not worth more than debug.
        log.debug(`the credential now stored for ${url} still does not grant ${this.offer.required}; ${SIGN_IN_TOOL} stays offered`);
        return;
      }
      this.offer = undefined;
      this.unwatch();
      log.info(`a new credential for ${url} is stored; write tools can be called again`);
      this.options.onToolsChanged();
      return;
    }

    try {
      await tokens.token();
      await this.options.reconnect();
    } catch (error) {
      if (Access.needsUser(error)) log.info(`the credential now stored for ${url} does not work either: ${error.message}`);
      else {
        // The server or the network, not the credential: try it again on the next look.
        this.known = undefined;
        log.debug(`could not open a session with the new credential yet: ${describeError(error)}`);
      }
      return;
    }
    this.problem = undefined;
    this.autoStarted = false;
    this.unwatch();
    log.info(`signed in to ${url}: serving Conduit's tools`);
    this.options.onSignedIn();
  }

  private watch(): void {
    if (this.timer || this.closed || !this.options.tokens?.peek) return;
    this.timer = setInterval(() => void this.check(), this.options.watchIntervalMs ?? 2_000);
    this.timer.unref();
  }

  private unwatch(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Starts the browser sign-in by itself, once per sign-out, where a browser would reach the user.
   * Not at once: hosts health-check servers by starting them for a second (`claude mcp list`), and
   * each of those would otherwise leave a sign-in tab behind.
   */
  private scheduleAutoSignIn(): void {
    if (this.autoStarted || !this.flows || !this.problem || this.problem.kind === 'fixed') return;
    this.autoStarted = true;
    setTimeout(() => void this.autoSignIn(), this.options.autoSignInDelayMs ?? 1_500).unref();
  }

  private async autoSignIn(): Promise<void> {
    if (!this.problem || this.closed || !this.flows) return;
    const { log, url, env } = this.options;
    const { canOpenBrowser } = await import('../auth/browser.js');
    if (!canOpenBrowser(env)) {
      log.info(`no browser can be opened from here (no BROWSER, no desktop session): ${SIGN_IN_TOOL} gives the sign-in link, or run \`${this.login}\` in a terminal`);
      return;
    }
    const start = await this.flows.start(true);
    if (start.error !== undefined) log.warn(`could not start the sign-in to ${url}: ${start.error}`);
    else if (start.owner === 'other' && !start.signedIn) log.info(`another conduit-mcp process${start.pid ? ` (pid ${start.pid})` : ''} is signing in to ${url}; waiting for its result`);
  }
}
