import { fileURLToPath } from 'node:url';
import { runHost, type HostRun } from './run-host.js';

const CHROMIUM_BROWSER = fileURLToPath(new URL('../chromium-browser.mjs', import.meta.url));

export interface BrowserSignIn {
  /** The hosts' HOME (Chromium's profile lives there, beside the host's own files). */
  home: string;
  chromiumPath: string;
  user: { email: string; password: string };
}

/**
 * Headless Chromium opens the sign-in page at `url` as a host's BROWSER would, signs in as `user`
 * and grants acme-hotels: the one way the host tests finish an OAuth sign-in. The caller checks the
 * run's exit code and output.
 */
export function signInInChromium(url: string, { home, chromiumPath, user }: BrowserSignIn): Promise<HostRun> {
  return runHost(process.execPath, [CHROMIUM_BROWSER, url], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      CHROMIUM_PATH: chromiumPath,
      CONDUIT_E2E_EMAIL: user.email,
      CONDUIT_E2E_PASSWORD: user.password,
      CONDUIT_E2E_WORKSPACES: 'acme-hotels',
    },
    cwd: home,
    timeoutMs: 90_000,
  });
}
