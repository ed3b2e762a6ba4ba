import { hostname } from 'node:os';
import * as oidc from 'openid-client';
import type { ClientInfo, OAuthCredential } from '../credentials/types.js';
import { proxyFetch } from '../proxy-fetch.js';
import { CLI_VERSION } from '../version.js';
import { clientOptions, type AuthorizationServerDiscovery } from './discovery.js';
import { DiscoveryError, LoginError } from './errors.js';

export interface ClientChoice {
  /** A pre-registered client id (`--client-id`). */
  clientId?: string;
  clientSecret?: string;
  /** An https URL of this client's metadata document, used as client_id where the server supports it. */
  clientMetadataUrl?: string;
}

type AuthMethod = ClientInfo['authMethod'];

/**
 * The OAuth client to log in with: the pre-registered one when given; else a URL-based client id
 * (Client ID Metadata Document) when configured and supported; else a new registration through
 * RFC 7591 Dynamic Client Registration for this login's loopback redirect URI.
 */
export async function obtainClient(as: AuthorizationServerDiscovery, redirectUri: string, choice: ClientChoice): Promise<ClientInfo> {
  const metadata = as.metadata;
  if (choice.clientId) {
    return { clientId: choice.clientId, ...(choice.clientSecret ? { clientSecret: choice.clientSecret } : {}), authMethod: preRegisteredMethod(metadata, choice.clientSecret) };
  }
  if (choice.clientMetadataUrl && metadata.client_id_metadata_document_supported === true) {
    return { clientId: choice.clientMetadataUrl, authMethod: 'none' };
  }
  if (!metadata.registration_endpoint) {
    throw new DiscoveryError(
      'registration_unsupported',
      `The authorization server ${metadata.issuer} does not support Dynamic Client Registration. Pass the id of a client registered for this CLI with --client-id (and --client-secret), or use an API token: conduit-mcp login --token-stdin.`,
    );
  }
  const requested = registrationMethod(metadata);
  let registered: oidc.Configuration;
  try {
    registered = await oidc.dynamicClientRegistration(
      new URL(as.metadataUrl),
      {
        client_name: `conduit-mcp on ${hostname()}`,
        client_uri: 'https://www.npmjs.com/package/conduit-mcp',
        software_id: 'conduit-mcp',
        software_version: CLI_VERSION,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: requested,
        application_type: 'native',
      },
      undefined,
      { ...clientOptions(metadata.issuer), [oidc.customFetch]: registrationFetch },
    );
  } catch (error) {
    throw new LoginError('registration_failed', `Dynamic Client Registration at ${metadata.registration_endpoint} failed: ${oauthErrorText(error)}.`);
  }
  const client = registered.clientMetadata();
  const method = (client.token_endpoint_auth_method as AuthMethod | undefined) ?? (client.client_secret ? 'client_secret_basic' : requested);
  if (!isSupportedMethod(method)) {
    throw new LoginError('registration_failed', `The authorization server registered this client for "${method}" token endpoint authentication, which conduit-mcp does not support.`);
  }
  return {
    clientId: client.client_id,
    ...(typeof client.client_secret === 'string' ? { clientSecret: client.client_secret } : {}),
    authMethod: method,
  };
}

/**
 * RFC 7591 makes `client_secret_expires_at` REQUIRED with a `client_secret`, and openid-client rejects a
 * registration response without it. Some servers leave it out; reading the omission as 0 ("does not
 * expire", the RFC's own value for that) keeps them usable without weakening anything else.
 */
const registrationFetch: oidc.CustomFetch = async (url, options) => {
  const response = await proxyFetch(url, options);
  if (response.status !== 201) return response;
  const body = (await response.clone().json().catch(() => null)) as Record<string, unknown> | null;
  if (!body || typeof body.client_secret !== 'string' || body.client_secret_expires_at !== undefined) return response;
  return new Response(JSON.stringify({ ...body, client_secret_expires_at: 0 }), { status: 201, headers: { 'content-type': 'application/json' } });
};

/** An openid-client Configuration for stored or freshly obtained client details. */
export function clientConfiguration(metadata: oidc.ServerMetadata, client: ClientInfo): oidc.Configuration {
  const config = new oidc.Configuration(metadata, client.clientId, client.clientSecret ? { client_secret: client.clientSecret } : undefined, clientAuth(client));
  const options = clientOptions(metadata.issuer);
  for (const extension of options.execute) extension(config);
  // Code exchange, refresh and revocation go through the proxy like discovery did.
  config[oidc.customFetch] = options[oidc.customFetch];
  return config;
}

/** The Configuration for a stored OAuth credential. */
export function configurationFor(credential: OAuthCredential): oidc.Configuration {
  return clientConfiguration(credential.authorizationServer.metadata as unknown as oidc.ServerMetadata, credential.client);
}

function clientAuth(client: ClientInfo): oidc.ClientAuth {
  switch (client.authMethod) {
    case 'client_secret_basic':
      return clientSecretBasic(client.clientSecret ?? '');
    case 'client_secret_post':
      return oidc.ClientSecretPost(client.clientSecret);
    default:
      return oidc.None();
  }
}

/**
 * client_secret_basic with the RFC 6749 §2.3.1 encoding done by the WHATWG form-urlencoded serializer,
 * which leaves `-`, `.`, `_` and `*` as they are. openid-client's own helper also escapes those,
 * which servers that do not decode the credentials (a common shortcut) then reject.
 */
function clientSecretBasic(secret: string): oidc.ClientAuth {
  const encode = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);
  return (_as, client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(secret)}`).toString('base64')}`);
  };
}

/** A native app is a public client: ask for "none" unless the server cannot do it. */
function registrationMethod(metadata: oidc.ServerMetadata): AuthMethod {
  // RFC 8414: an absent list means client_secret_basic only.
  const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (supported.includes('none')) return 'none';
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'none';
}

function preRegisteredMethod(metadata: oidc.ServerMetadata, secret: string | undefined): AuthMethod {
  if (!secret) return 'none';
  const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'client_secret_basic';
}

function isSupportedMethod(method: string): method is AuthMethod {
  return method === 'none' || method === 'client_secret_basic' || method === 'client_secret_post';
}

/** The OAuth error code and description of an openid-client failure, without anything secret. */
export function oauthErrorText(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof oidc.AuthorizationResponseError) return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof Response) return `HTTP ${cause.status}`;
  return error instanceof Error ? error.message : String(error);
}

/** The OAuth `error` code of an openid-client failure, if the server sent one. */
export function oauthErrorCode(error: unknown): string | undefined {
  if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError) return error.error;
  return undefined;
}
