import type Provider from 'oidc-provider';
import type * as OidcProviderLib from 'oidc-provider';
import type { ClientModel, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { findUser } from './accounts.js';
import { databaseAdapter, sha256Hex } from './adapter.js';
import type { OAuthKeys } from './keys.js';
import { errorPage } from './pages/error.js';
import { clientMetadataProblem } from './clients.js';
import { PAGE_HEADERS } from './pages/layout.js';
import { isLoopbackHttp, redirectOrigin, redirectUriProblem } from './redirect-uris.js';
import { signInStillValid } from './revocation.js';

/** Where the authorization server lives under the public URL; the issuer is `<public-url>/oauth/mcp`. */
export const OAUTH_MOUNT = '/oauth/mcp';

/** The scopes clients can ask for. `openid` is implied by oidc-provider but nothing here needs it. */
export const MCP_SCOPES = ['mcp:read', 'mcp:write'] as const;
export const SUPPORTED_SCOPES = [...MCP_SCOPES, 'offline_access'];

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Lifetimes, in seconds. Access tokens are short; refresh tokens slide (each rotation starts a new 30 days) within the grant's year. */
export const TTL = {
  AccessToken: HOUR,
  AuthorizationCode: 60,
  RefreshToken: 30 * DAY,
  Grant: 365 * DAY,
  Interaction: HOUR,
  Session: DAY,
  IdToken: HOUR,
  ClientCredentials: 10 * 60,
};

type OidcProviderModule = typeof OidcProviderLib;

/**
 * oidc-provider is imported when the server starts, not when the CLI loads: admin commands never
 * need it, and importing it on Node 20 prints an "unsupported runtime" notice.
 */
export function loadOidcProvider(): Promise<OidcProviderModule> {
  return import('oidc-provider');
}

export interface ProviderSettings {
  store: Store;
  keys: OAuthKeys;
  logger: Logger;
  /** `<public-url>/oauth/mcp` */
  issuer: string;
  /** `<public-url>/v1/mcp`: the one resource tokens are minted for. */
  resource: string;
}

/**
 * Registration policy, in the one hook oidc-provider runs on registration metadata before
 * validating it (extraClientMetadata's validator, called once per extra property):
 * - Metadata sizes capped (clients.ts): anyone may register, and a registration is stored.
 * - Redirect URIs as judged by redirect-uris.ts (plain http only on loopback, OAuth 2.1 §7.5.1).
 * - RFC 8252 §7.3: a native app's loopback redirect may use any port. oidc-provider applies that
 *   to clients registered as `application_type: native`; MCP clients rarely send the field, so a
 *   registration whose redirect URIs are all http loopback and that names no type is native.
 */
function registrationMetadataValidator(errors: OidcProviderModule['errors'], ctx: KoaContextWithOIDC | undefined, key: string, value: unknown, metadata: Record<string, unknown>): void {
  if (value !== undefined && (typeof value !== 'string' || value.length > 255)) {
    throw new errors.InvalidClientMetadata(`${key} must be a string of at most 255 characters`);
  }
  if (key !== 'software_id' || ctx?.oidc?.route !== 'registration') return;
  const tooLarge = clientMetadataProblem(metadata);
  if (tooLarge) throw new errors.InvalidClientMetadata(tooLarge);
  const uris = Array.isArray(metadata.redirect_uris) ? (metadata.redirect_uris as unknown[]) : [];
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new errors.InvalidClientMetadata(problem);
  }
  if (ctx.oidc.body?.application_type === undefined && uris.length > 0 && uris.every(isLoopbackHttp)) metadata.application_type = 'native';
}

/** What the errors a person can meet in the browser mean, in their words; others show oidc-provider's description. */
const FRIENDLY_ERRORS: Readonly<Record<string, string>> = {
  invalid_redirect_uri: 'The application asked to send you back to an address it did not register, so sign-in stops here to keep your account safe.',
  invalid_client: 'This application is not registered with this server (its registration may be from another server or was removed). Remove the server in your application and add it again.',
  invalid_request: 'The application sent an incomplete or invalid sign-in request.',
};

/** Our error page for errors oidc-provider renders itself (bad client_id, unregistered redirect_uri…): never a redirect. */
function renderError(ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  ctx.type = 'html';
  const friendly = out.error ? FRIENDLY_ERRORS[out.error] : undefined;
  ctx.body = errorPage({
    title: 'This connection request cannot continue',
    message: friendly ?? out.error_description ?? 'The request from your application was not valid.',
    detail: friendly ? out.error_description : undefined,
    code: out.error,
  });
}

export function createProvider(lib: OidcProviderModule, settings: ProviderSettings): Provider {
  const { store, resource } = settings;
  const { errors } = lib;
  const configuration: Configuration = {
    adapter: databaseAdapter(store),
    jwks: settings.keys.jwks,
    cookies: {
      keys: settings.keys.cookieKeys,
      names: { session: 'conduit_oauth_session', interaction: 'conduit_oauth_interaction', resume: 'conduit_oauth_resume' },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: { openid: ['sub'] },
    scopes: SUPPORTED_SCOPES,
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    extraClientMetadata: { properties: ['software_id', 'software_version'], validator: registrationMetadataValidator.bind(null, errors) },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: false },
      revocation: {
        enabled: true,
        // RFC 7009: a client may only revoke its own tokens; anything else is answered 200 and ignored.
        allowedPolicy: (_ctx: unknown, client: ClientModel, token: { clientId: string }) => token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        // A client that names no resource still gets a token bound to the MCP endpoint.
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource; this server issues tokens for ${resource} only`);
          return { scope: MCP_SCOPES.join(' '), audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: TTL.AccessToken };
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${OAUTH_MOUNT}/interaction/${interaction.uid}`, policy: signInPolicy(lib, store) },
    findAccount: async (_ctx: unknown, id: string) => {
      const user = await findUser(store, id);
      return user && { accountId: user.id, claims: async () => ({ sub: user.id }) };
    },
    // Every authorization shows the consent page (the user picks workspaces each time); a grant is
    // only reused while finishing the authorization that created it.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    // Refresh tokens for offline_access and for any client that registered the refresh_token
    // grant: MCP clients ask for the scopes in our resource metadata (no offline_access) and
    // still need to stay connected.
    issueRefreshToken: async (_ctx: unknown, client: ClientModel) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    ttl: { ...TTL },
    clientBasedCORS: (_ctx: unknown, origin: string, client: ClientModel) =>
      client.redirectUris.some((uri) => redirectOrigin(uri) === origin),
    renderError,
  };
  const provider = new lib.default(settings.issuer, configuration);
  // Headers are rewritten to the public URL before a request reaches the provider (see routes.ts).
  provider.proxy = true;
  patchClientSecretComparison(provider);
  provider.on('server_error', (_ctx: unknown, err: unknown) => settings.logger.error({ err }, 'oauth server error'));
  return provider;
}

/**
 * The default prompts, and one more reason to ask for the password: the browser's sign-in was
 * ended by an administrator (`users reset-password`) or its user was deleted (`users delete`).
 */
function signInPolicy(lib: OidcProviderModule, store: Store): ReturnType<OidcProviderModule['interactionPolicy']['base']> {
  const { Check, base } = lib.interactionPolicy;
  const policy = base();
  policy.get('login')?.checks.push(
    new Check('sign_in_ended', 'the sign-in was ended by an administrator', async (ctx) => {
      const session = ctx.oidc.session;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT; // no sign-in: the no_session check asks for one
      return (await signInStillValid(store.db, session.accountId, session.loginTs)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

/** The adapter stores `sha256:<hex>` instead of a client secret; compare the presented secret's hash. */
function patchClientSecretComparison(provider: Provider): void {
  const original = provider.Client.prototype.compareClientSecret;
  provider.Client.prototype.compareClientSecret = function compareHashed(this: ClientModel, actual: string) {
    return original.call(this, `sha256:${sha256Hex(actual)}`);
  };
}
