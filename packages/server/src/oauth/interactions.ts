import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { ClientModel, InteractionDetails } from 'oidc-provider';
import type { Logger } from 'pino';
import { BodyTooLargeError, CLOSE_CONNECTION, readBody } from '../http/body.js';
import { rowKey } from '../store/sealed.js';
import type { Store } from '../store/store.js';
import { grantRef } from './adapter.js';
import { RateLimiterUnavailableError } from '../limits/policy.js';
import { normalizeEmail } from '../core/normalize.js';
import { attemptLogin, findUser, memberWorkspaces, type LoginLimiters, type LoginOutcome } from './accounts.js';
import type { CsrfTokens } from './csrf.js';
import { consentPage } from './pages/consent.js';
import { errorPage } from './pages/error.js';
import { pageCsp, sendPage } from './pages/layout.js';
import { loginPage } from './pages/login.js';
import { OAUTH_MOUNT } from './provider.js';
import { redirectCspSource, redirectHost } from './redirect-uris.js';

/**
 * The sign-in and consent pages oidc-provider sends the browser to
 * (`/oauth/mcp/interaction/:uid`). GET renders whichever step is pending; the forms post to
 * `…/login` and `…/consent`. On success we hand the result back to oidc-provider, which
 * redirects the browser onwards (and eventually to the client with a code).
 */
export interface InteractionDeps {
  provider: Provider;
  store: Store;
  csrf: CsrfTokens;
  loginLimiters: LoginLimiters;
  logger: Logger;
  /** The client's address for sign-in throttling (see clientIp). */
  clientIp: (req: IncomingMessage) => string;
}

const INTERACTION_PATH = new RegExp(`^${OAUTH_MOUNT}/interaction/([A-Za-z0-9_-]{1,64})(?:/(login|consent))?$`);
const FORM_LIMIT = 16 * 1024;

export function matchInteraction(pathname: string): { uid: string; step: 'login' | 'consent' | undefined } | null {
  const match = INTERACTION_PATH.exec(pathname);
  if (!match?.[1]) return null;
  return { uid: match[1], step: match[2] as 'login' | 'consent' | undefined };
}

function expired(res: ServerResponse): void {
  sendPage(
    res,
    400,
    errorPage({
      title: 'This sign-in page has expired',
      message: 'It was open too long, already used, or opened in a different browser. Go back to your application and connect again.',
      code: 'interaction_expired',
    }),
  );
}

export async function handleInteraction(req: IncomingMessage, res: ServerResponse, deps: InteractionDeps, uid: string, step: 'login' | 'consent' | undefined): Promise<void> {
  let details: InteractionDetails;
  try {
    details = await deps.provider.interactionDetails(req, res);
  } catch (error) {
    if (error instanceof Error && error.name === 'SessionNotFound') return expired(res);
    throw error;
  }
  // The cookie names the browser's interaction; a URL for another one is stale or forged.
  if (details.uid !== uid) return expired(res);
  const client = await deps.provider.Client.find(details.params.client_id ?? '');
  if (!client) return expired(res);
  const pending = details.prompt.name === 'login' ? 'login' : 'consent';

  if (req.method === 'GET' && step === undefined) {
    return pending === 'login' ? renderLogin(req, res, deps, details, client, 200) : renderConsent(req, res, deps, details, client, 200);
  }
  if (req.method !== 'POST' || step !== pending) {
    // e.g. a sign-in form posted again after the sign-in succeeded: show the current step.
    res.writeHead(303, { location: `${OAUTH_MOUNT}/interaction/${uid}`, 'cache-control': 'no-store' }).end();
    return;
  }

  let form: URLSearchParams;
  try {
    form = new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return sendPage(res, 413, errorPage({ title: 'Request too large', message: 'The form was larger than expected.' }), CLOSE_CONNECTION);
    throw error;
  }
  if (!deps.csrf.verify(req, uid, form.get('csrf'))) {
    const error = 'This page was open for too long or in another tab. Please try again.';
    return pending === 'login'
      ? renderLogin(req, res, deps, details, client, 403, { error })
      : renderConsent(req, res, deps, details, client, 403, { error });
  }
  return pending === 'login' ? submitLogin(req, res, deps, details, client, form) : submitConsent(req, res, deps, details, client, form);
}

/**
 * Forms post to this server only; the redirects that follow a submission may end at the client's
 * redirect URI and nowhere else (Chromium applies form-action to the whole redirect chain: with
 * 'self' alone, the consent form's final redirect to the client is blocked).
 */
function formHeaders(details: InteractionDetails): Record<string, string> {
  const target = redirectCspSource(details.params.redirect_uri);
  return { 'content-security-policy': pageCsp(target ? [target] : []) };
}

function clientName(client: ClientModel): string {
  return client.clientName?.trim() || client.clientId;
}

function renderLogin(
  req: IncomingMessage,
  res: ServerResponse,
  deps: InteractionDeps,
  details: InteractionDetails,
  client: ClientModel,
  status: number,
  extra: { email?: string; error?: string } = {},
  headers: Record<string, string> = {},
): void {
  const { token, setCookie } = deps.csrf.issue(req, details.uid);
  const page = loginPage({ action: `${OAUTH_MOUNT}/interaction/${details.uid}/login`, csrf: token, clientName: clientName(client), ...extra });
  sendPage(res, status, page, { ...formHeaders(details), ...headers, ...(setCookie ? { 'set-cookie': setCookie } : {}) });
}

async function submitLogin(req: IncomingMessage, res: ServerResponse, deps: InteractionDeps, details: InteractionDetails, client: ClientModel, form: URLSearchParams): Promise<void> {
  const email = (form.get('email') ?? '').slice(0, 320);
  const password = (form.get('password') ?? '').slice(0, 1024);
  if (!email || !password) return renderLogin(req, res, deps, details, client, 400, { email, error: 'Enter your email and password.' });
  const ip = deps.clientIp(req);
  let outcome: LoginOutcome;
  try {
    outcome = await attemptLogin(deps.store, deps.loginLimiters, { email, password, ip });
  } catch (error) {
    if (!(error instanceof RateLimiterUnavailableError)) throw error;
    deps.logger.warn({ reason: error.message }, 'rate limiter unavailable');
    return renderLogin(req, res, deps, details, client, 503, { email, error: 'Sign-in is briefly unavailable. Please try again in a moment.' }, { 'retry-after': '1' });
  }
  if (!outcome.ok) {
    if (outcome.reason === 'throttled') {
      const minutes = Math.ceil(outcome.retryAfter / 60);
      deps.logger.warn({ ...accountFields(email, null), ip }, 'oauth sign-in throttled');
      return renderLogin(req, res, deps, details, client, 429, {
        email,
        error: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      });
    }
    deps.logger.warn({ ...accountFields(email, outcome.userId), ip }, 'oauth sign-in failed');
    return renderLogin(req, res, deps, details, client, 401, { email, error: 'Incorrect email or password.' });
  }
  // remember: false keeps the sign-in to this browser session (no persistent cookie).
  await deps.provider.interactionFinished(req, res, { login: { accountId: outcome.userId, remember: false } }, { mergeWithLastSubmission: false });
}

/**
 * Who a failed or throttled sign-in was for, for the log. What was typed as the email is logged
 * only when it names an account: people type their password into the email field, and the log
 * must never hold a password. Otherwise a short hash lets an administrator see repeated attempts
 * on one unknown name without learning it.
 */
function accountFields(email: string, userId: string | null): Record<string, string | null> {
  const normalized = normalizeEmail(email);
  if (userId) return { user: userId, email: normalized };
  return { user: null, email_sha256: createHash('sha256').update(normalized).digest('hex').slice(0, 16) };
}

function requestedScopes(details: InteractionDetails): Set<string> {
  return new Set((details.params.scope ?? '').split(' ').filter(Boolean));
}

async function renderConsent(
  req: IncomingMessage,
  res: ServerResponse,
  deps: InteractionDeps,
  details: InteractionDetails,
  client: ClientModel,
  status: number,
  extra: { error?: string; checked?: Set<string>; write?: boolean } = {},
): Promise<void> {
  const user = details.session && (await findUser(deps.store, details.session.accountId));
  if (!user) return expired(res);
  const workspaces = await memberWorkspaces(deps.store, user.id);
  const scopes = requestedScopes(details);
  const { token, setCookie } = deps.csrf.issue(req, details.uid);
  const page = consentPage({
    action: `${OAUTH_MOUNT}/interaction/${details.uid}/consent`,
    csrf: token,
    client: { name: clientName(client), redirectHost: redirectHost(details.params.redirect_uri) ?? 'an unknown address', uri: client.clientUri },
    user: { email: user.email, name: user.name },
    // One workspace is pre-selected; with several the user chooses.
    workspaces: workspaces.map((w) => ({ ...w, readOnly: !w.canWrite, checked: extra.checked ? extra.checked.has(w.id) : workspaces.length === 1 })),
    // Writing is offered only where the user's role allows it somewhere.
    writeRequested: scopes.has('mcp:write') && workspaces.some((w) => w.canWrite),
    writeChecked: extra.write ?? true,
    offline: client.grantTypeAllowed('refresh_token'),
    error: extra.error,
  });
  sendPage(res, status, page, { ...formHeaders(details), ...(setCookie ? { 'set-cookie': setCookie } : {}) });
}

async function submitConsent(req: IncomingMessage, res: ServerResponse, deps: InteractionDeps, details: InteractionDetails, client: ClientModel, form: URLSearchParams): Promise<void> {
  const session = details.session;
  if (!session) return expired(res);
  if (form.get('decision') !== 'allow') {
    await deps.provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user declined to grant access.' }, { mergeWithLastSubmission: false });
    return;
  }
  const members = new Map((await memberWorkspaces(deps.store, session.accountId)).map((w) => [w.id, w]));
  const picked = [...new Set(form.getAll('workspace'))].filter((id) => members.has(id));
  const scopes = requestedScopes(details);
  const write = scopes.has('mcp:write') && form.get('write') === 'on';
  if (picked.length === 0) {
    return renderConsent(req, res, deps, details, client, 400, { error: 'Choose at least one workspace to share.', checked: new Set(), write });
  }
  // A grant's write access covers every workspace in it, so it needs a role that may write in each.
  const readOnly = picked.map((id) => members.get(id)!).filter((w) => !w.canWrite);
  if (write && readOnly.length > 0) {
    const names = readOnly.map((w) => w.name).join(', ');
    return renderConsent(req, res, deps, details, client, 400, {
      error: `Your role in ${names} allows reading only. Untick “Send messages and change data”, or leave ${readOnly.length === 1 ? 'that workspace' : 'those workspaces'} out.`,
      checked: new Set(picked),
      write,
    });
  }

  const grant = new deps.provider.Grant({ accountId: session.accountId, clientId: client.clientId });
  // What the request asked for and is not granted yet, as oidc-provider computed it. Scopes are
  // granted as asked, except mcp:write when the user unticked it: that is recorded as rejected,
  // so tokens carry mcp:read only and the policy does not ask for consent again.
  const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details as {
    missingOIDCScope?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const allowed = (scope: string) => scope !== 'mcp:write' || write;
  if (missingOIDCScope.length) grant.addOIDCScope(missingOIDCScope.filter(allowed).join(' '));
  if (missingOIDCScope.includes('mcp:write') && !write) grant.rejectOIDCScope('mcp:write');
  for (const [indicator, requested] of Object.entries(missingResourceScopes)) {
    grant.addResourceScope(indicator, requested.filter(allowed).join(' '));
    if (requested.includes('mcp:write') && !write) grant.rejectResourceScope(indicator, 'mcp:write');
  }
  const grantId = await grant.save();
  await deps.store.db
    .insertInto('oauth_grant_workspaces')
    .values(picked.map((workspace_id) => ({ grant_hash: rowKey(grantId), workspace_id })))
    .execute();
  deps.logger.info({ grant: grantRef(grantId), client: client.clientId, user: session.accountId, workspaces: picked.length, write }, 'oauth grant created');
  await deps.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
