import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedStore } from '../credentials/resolve.js';
import type { Reporter } from '../output.js';
import { describeError } from './failure.js';
import type { BridgeLog } from './log.js';

/** Where to send the user to sign in, as far as this process can tell. */
export interface SignInStart {
  /** The sign-in page; absent when another process signs in and has not said where. */
  link?: string;
  /** This call started a browser on this computer. */
  opened: boolean;
  /** The process whose loopback listener completes the sign-in: this one, or another conduit-mcp (pid when known). */
  owner: 'self' | 'other';
  pid?: number;
  /** Why no sign-in could be started (server unreachable, no Dynamic Client Registration…). */
  error?: string;
  /** Another process finished a sign-in while this one waited for its page: the store has the credential. */
  signedIn?: true;
  /** Set when another live process kept the login lock this long without publishing a page. */
  waitedMs?: number;
}

export interface SignInFlowOptions {
  url: string;
  env: NodeJS.ProcessEnv;
  log: BridgeLog;
  /** Called once this process stored a credential from its own browser sign-in. */
  onStored(): void;
  /** The stored access token this bridge already tried and found refused (undefined: none was stored). */
  refused(): string | undefined;
}

/**
 * How long conduit_sign_in waits for another live process that holds the login lock to publish its
 * sign-in page. That process publishes once it has discovered the server and registered a client:
 * within a second usually, several seconds on a loaded machine (hosts may start two bridges at
 * once, each starting its automatic sign-in), and each of those requests may take up to 15 s
 * before it fails. 30 s covers that and stays well under the 60 s after which MCP SDK clients
 * give up on a tool call.
 */
export const START_WAIT_MS = 30_000;
const POLL_MS = 200;

/**
 * The browser sign-ins this bridge runs: the CLI's own OAuth login (discovery, registration, PKCE,
 * loopback redirect), started in the background with the login lock taken without waiting, so
 * that all the bridges of one server share one sign-in. A bridge that finds another process
 * signing in hands out that process's page (published next to the lock) and watches the store for
 * the result instead of starting a second one.
 *
 * The auth layer is loaded on first use: a bridge that is signed in never needs it.
 */
export class SignInFlows {
  private current: { link: Promise<string | null>; scope: string | undefined } | undefined;

  constructor(private readonly options: SignInFlowOptions) {}

  /** Whether this process is waiting for a browser sign-in to come back. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /**
   * The sign-in page of the flow in progress (this process's or another's), else a new flow's.
   * `open` starts a browser on it when this call starts the flow; `scope` asks for more than
   * the server suggests (a write scope after insufficient_scope).
   *
   * Another process that holds the login lock publishes its page only once it has discovered the
   * server and registered a client: this waits for that page while the process lives and keeps
   * the lock (up to START_WAIT_MS), and starts its own flow as soon as the lock is free (that
   * process ended or gave up), so the user gets a link whenever a sign-in can run at all.
   */
  async start(open: boolean, scope?: string): Promise<SignInStart> {
    const [{ readPendingLogin }, { resolveStore }, { hasScopes }] = await Promise.all([
      import('../auth/pending-login.js'),
      import('../credentials/resolve.js'),
      import('../auth/scopes.js'),
    ]);
    if (this.current && (scope === undefined || hasScopes(this.current.scope, scope))) {
      const link = await this.current.link;
      return link === null ? { opened: false, owner: 'other', signedIn: true } : { link, opened: false, owner: 'self' };
    }
    const { url, log } = this.options;
    const store = await resolveStore(this.options.env, this.reporter());
    const since = new Date().toISOString();
    const deadline = Date.now() + START_WAIT_MS;
    let waited = false;
    for (;;) {
      const pending = await readPendingLogin(store.configDir, url);
      if (pending) return { link: pending.authorizationUrl, opened: false, owner: 'other', pid: pending.pid };
      const { loginHolder } = await import('../auth/login.js');
      const holder = await loginHolder(store.configDir, url);
      if (holder === null) {
        // The process we waited for finished: its sign-in may be the one we need.
        if (waited && (await signedInSince(store, url, since, scope))) return { opened: false, owner: 'other', signedIn: true };
        const own = await this.startOwn(store, scope, open);
        if (own) return own;
      } else {
        if (Date.now() >= deadline) {
          log.info(`another conduit-mcp process${holder.pid ? ` (pid ${holder.pid})` : ''} is still preparing its sign-in to ${url} after ${START_WAIT_MS / 1000} s; no sign-in page yet`);
          return { opened: false, owner: 'other', ...(holder.pid ? { pid: holder.pid } : {}), waitedMs: START_WAIT_MS };
        }
        if (!waited) log.info(`another conduit-mcp process${holder.pid ? ` (pid ${holder.pid})` : ''} is starting a sign-in to ${url}; waiting for its sign-in page`);
        waited = true;
      }
      await sleep(POLL_MS);
    }
  }

  /** This process's own flow, if it gets the login lock (undefined: another process took it first). */
  private async startOwn(store: ResolvedStore, scope: string | undefined, open: boolean): Promise<SignInStart | undefined> {
    try {
      const link = await this.begin(store, scope);
      if (link === null) return { opened: false, owner: 'other', signedIn: true };
      if (!open) return { link, opened: false, owner: 'self' };
      const { openBrowser } = await import('../auth/browser.js');
      const result = await openBrowser(link, this.options.env);
      this.options.log.info(
        result.opened
          ? `opened the browser (${result.command}) on the sign-in page for ${this.options.url}`
          : `could not start a browser (${result.command}: ${result.error}); the sign-in page is in conduit_sign_in's answer`,
      );
      return { link, opened: result.opened, owner: 'self' };
    } catch (error) {
      const { LockTimeoutError } = await import('../credentials/lock.js');
      if (error instanceof LockTimeoutError) return undefined;
      return { opened: false, owner: 'self', error: describeError(error) };
    }
  }

  /**
   * Starts the login in the background; resolves with its page, or null when another process
   * stored a usable login just before this one took the lock; rejects if it cannot start.
   */
  private begin(store: ResolvedStore, scope: string | undefined): Promise<string | null> {
    let resolveLink!: (link: string | null) => void;
    let rejectLink!: (error: unknown) => void;
    const link = new Promise<string | null>((resolve, reject) => {
      resolveLink = resolve;
      rejectLink = reject;
    });
    const flow = { link, scope };
    this.current = flow;
    void (async () => {
      const [{ login }, { hasScopes }] = await Promise.all([import('../auth/login.js'), import('../auth/scopes.js')]);
      const { credential, reused } = await login({
        url: this.options.url,
        env: this.options.env,
        reporter: this.reporter(),
        store,
        // The bridge opens the page itself (it needs to know whether that worked) or leaves it to the host.
        openBrowser: false,
        waitForOtherLogin: false,
        reuse: (stored) => stored.accessToken !== this.options.refused() && hasScopes(stored.scope, scope),
        onAuthorizationUrl: resolveLink,
        doneMessage: 'You are signed in to Conduit. You can close this tab: its tools appear in your MCP client by themselves.',
        ...(scope ? { scope } : {}),
      });
      if (reused) resolveLink(null);
      else this.options.log.info(`signed in to ${this.options.url}${credential.scope ? ` with scopes ${credential.scope}` : ''}`);
      this.options.onStored();
    })()
      .catch((error: unknown) => {
        rejectLink(error);
        if ((error as { name?: string }).name !== 'LockTimeoutError') this.options.log.warn(`sign-in did not complete: ${describeError(error)}`);
      })
      .finally(() => {
        if (this.current === flow) this.current = undefined;
      });
    return link;
  }

  /** The auth layer's messages, into the bridge's log (stderr, which hosts keep). */
  private reporter(): Reporter {
    const { log } = this.options;
    return { info: (message) => log.info(message.trim().replace(/\s*\n\s*/g, ' ')), warn: (message) => log.warn(message), debug: (message) => log.debug(message) };
  }
}

/** Whether the store holds a login obtained since `since` that grants `scope`. */
async function signedInSince(
  store: ResolvedStore,
  url: string,
  since: string,
  scope: string | undefined,
): Promise<boolean> {
  const { hasScopes } = await import('../auth/scopes.js');
  const current = await store.store.get(url).catch(() => null);
  return current?.kind === 'oauth' && current.obtainedAt >= since && hasScopes(current.scope, scope);
}
