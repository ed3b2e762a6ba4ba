// The programmatic surface of the CLI's auth layer: what the stdio bridge and the e2e tests use.
export { getAccessToken, type AccessToken, type AccessTokenOptions } from './auth/access-token.js';
export { createAuthFetch, type AuthFetchOptions, type FetchLike } from './auth/auth-fetch.js';
export { AuthError, DiscoveryError, LoginError, LoginRequiredError, NotLoggedInError } from './auth/errors.js';
export { login, DEFAULT_LOGIN_TIMEOUT_MS, type LoginOptions, type LoginResult } from './auth/login.js';
export { canonicalUrl, DEFAULT_MCP_URL, resolveServerUrl } from './auth/url.js';
export { ENV_TOKEN, resolveStore, type ResolvedStore } from './credentials/resolve.js';
export type { Credential, CredentialStore } from './credentials/types.js';
export { CLI_VERSION } from './version.js';
