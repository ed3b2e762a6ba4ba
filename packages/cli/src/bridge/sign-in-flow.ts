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
}

export interface SignInFlowOptions {
  url: string;
  env: NodeJS.ProcessEnv;
  log: BridgeLog;
  /** Called once this process stored a credential from its own browser sign-in. */
  onStored(): void;
}

/** How long to wait for another process that holds the login lock to publish its sign-in page. */
const PUBLISH_WAIT_MS = 5_000;

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
  private current: { link: Promise<string>; scope: string | undefined } | undefined;

  constructor(private readonly options: SignInFlowOptions) {}

  /** Whether this process is waiting for a browser sign-in to come back. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /**
   * The sign-in page of the flow in progress (this process's or another's), else a new flow's.
   * `open` starts a browser on it when this call starts the flow; `scope` asks for more than
   * the server suggests (a write scope after insufficient_scope).
   */
  async start(open: boolean, scope?: string): Promise<SignInStart> {
    const [{ readPendingLogin }, { resolveStore }, { hasScopes }] = await Promise.all([
      import('../auth/pending-login.js'),
      import('../credentials/resolve.js'),
      import('../auth/scopes.js'),
    ]);
    if (this.current && (scope === undefined || hasScopes(this.current.scope, scope))) {
      return { link: await this.current.link, opened: false, owner: 'self' };
    }
    const store = await resolveStore(this.options.env, this.reporter());
    const pending = await readPendingLogin(store.configDir, this.options.url);
    if (pending) return { link: pending.authorizationUrl, opened: false, owner: 'other', pid: pending.pid };

    const started = this.begin(store, scope);
    try {
      const link = await started;
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
      if (!(error instanceof LockTimeoutError)) return { opened: false, owner: 'self', error: describeError(error) };
      // Another process took the lock a moment ago and is still discovering the server.
      for (let waited = 0; waited < PUBLISH_WAIT_MS; waited += 200) {
        const published = await readPendingLogin(store.configDir, this.options.url);
        if (published) return { link: published.authorizationUrl, opened: false, owner: 'other', pid: published.pid };
        await sleep(200);
      }
      return { opened: false, owner: 'other' };
    }
  }

  /** Starts the login in the background; resolves with its page, rejects if it cannot start. */
  private begin(store: ResolvedStore, scope: string | undefined): Promise<string> {
    let resolveLink!: (link: string) => void;
    let rejectLink!: (error: unknown) => void;
    const link = new Promise<string>((resolve, reject) => {
      resolveLink = resolve;
      rejectLink = reject;
    });
    const flow = { link, scope };
    this.current = flow;
    void (async () => {
      const { login } = await import('../auth/login.js');
      const { credential } = await login({
        url: this.options.url,
        env: this.options.env,
        reporter: this.reporter(),
        store,
        // The bridge opens the page itself (it needs to know whether that worked) or leaves it to the host.
        openBrowser: false,
        waitForOtherLogin: false,
        onAuthorizationUrl: resolveLink,
        doneMessage: 'You are signed in to Conduit. You can close this tab: its tools appear in your MCP client by themselves.',
        ...(scope ? { scope } : {}),
      });
      this.options.log.info(`signed in to ${this.options.url}${credential.scope ? ` with scopes ${credential.scope}` : ''}`);
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
