import { createHash, randomBytes } from 'node:crypto';

/**
 * The OAuth pages driven with plain fetch, as a browser without JavaScript would, against a
 * server process. packages/server/test/oauth-helpers.ts does the same for in-process servers;
 * it cannot be imported here (it pulls the server's sources into this package's typecheck), so
 * this is the small part an e2e test needs: a cookie jar, form posts and the code flow.
 */

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** POST /oauth/mcp/reg; returns the status and the JSON body, whatever it was. */
export async function registerClient(baseUrl: string, metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/oauth/mcp/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'E2E Client', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], ...metadata }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export function authorizeUrl(baseUrl: string, params: Record<string, string>): string {
  const url = new URL(`${baseUrl}/oauth/mcp/auth`);
  for (const [key, value] of Object.entries({ response_type: 'code', state: 'e2e-state', resource: `${baseUrl}/v1/mcp`, ...params })) url.searchParams.set(key, value);
  return url.href;
}

/** One browser: keeps cookies, follows redirects on its own server, posts forms with their CSRF field. */
export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  /** The value of one of this browser's cookies, as the server set it. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(new URL(url, this.base), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [name, ...value] = line.split(';')[0]!.split('=');
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value.join('=') === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
    return res;
  }

  /** Follows redirects within this server; stops at the first answer that is not one, or at a redirect elsewhere. */
  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
    let current = new URL(url, this.base).href;
    let res = await this.request(current, init);
    while (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, current).href;
      if (new URL(next).origin !== new URL(this.base).origin) return { res, url: next };
      current = next;
      res = await this.request(current);
    }
    return { res, url: current };
  }

  async submit(page: string, pageUrl: string, fields: Record<string, string | string[]>): Promise<{ res: Response; url: string }> {
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (!action) throw new Error(`no form on the page:\n${page.slice(0, 500)}`);
    const body = new URLSearchParams();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (csrf) body.set('csrf', csrf);
    for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    return this.follow(new URL(action.replace(/&amp;/g, '&'), pageUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(this.base).origin },
      body,
    });
  }
}

export interface SignInChoice {
  email: string;
  password: string;
  /** Workspace ids to tick on the consent page. */
  workspaces: string[];
}

/** Signs in and consents (with mcp:write); returns the URL the browser was sent back to. */
export async function signInAndConsent(browser: FormBrowser, startUrl: string, choice: SignInChoice): Promise<URL> {
  let step = await browser.follow(startUrl);
  let page = await step.res.text();
  if (page.includes('Sign in to Conduit')) {
    step = await browser.submit(page, step.url, { email: choice.email, password: choice.password });
    page = await step.res.text();
  }
  if (!page.includes('Allow access to Conduit?')) throw new Error(`expected the consent page, got ${step.res.status}:\n${page.slice(0, 500)}`);
  step = await browser.submit(page, step.url, { decision: 'allow', workspace: choice.workspaces, write: 'on' });
  if (step.res.status < 300 || step.res.status >= 400) throw new Error(`expected a redirect to the client, got ${step.res.status}`);
  return new URL(step.url);
}

/** POST to the token endpoint, with client_secret_basic when the client has a secret. */
export async function tokenRequest(baseUrl: string, client: RegisteredClient, params: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const form = new URLSearchParams(params);
  if (client.client_secret) {
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(client.client_secret)}`).toString('base64')}`;
  } else {
    form.set('client_id', client.client_id);
  }
  const res = await fetch(`${baseUrl}/oauth/mcp/token`, { method: 'POST', headers, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
