import type { TokenEndpointResponse } from 'openid-client';
import type { OAuthCredential } from '../credentials/types.js';

type TokenFields = Pick<OAuthCredential, 'accessToken' | 'tokenType' | 'expiresAt' | 'refreshToken' | 'scope'>;

/**
 * The credential fields from a token endpoint response. A response without `refresh_token` keeps the
 * previous one (servers that do not rotate); one without `scope` means the requested scope was granted
 * (RFC 6749 §5.1).
 */
export function tokenFields(tokens: TokenEndpointResponse, previous: { scope?: string | undefined; refreshToken?: string | undefined }): TokenFields {
  const fields: TokenFields = { accessToken: tokens.access_token, tokenType: tokens.token_type ?? 'Bearer' };
  if (typeof tokens.expires_in === 'number') fields.expiresAt = new Date(Date.now() + tokens.expires_in * 1000).toISOString();
  const refreshToken = tokens.refresh_token ?? previous.refreshToken;
  if (refreshToken) fields.refreshToken = refreshToken;
  const scope = tokens.scope ?? previous.scope;
  if (scope) fields.scope = scope;
  return fields;
}
