import { createHash } from 'node:crypto';
// zod's mini build: the same validation as the classic API at a twentieth of the bundled size.
import * as z from 'zod/mini';

/** The keychain service name; the account is the server's resource URL. Stable across versions. */
export const KEYCHAIN_SERVICE = 'conduit-mcp';

const clientSchema = z.object({
  clientId: z.string().check(z.minLength(1)),
  clientSecret: z.optional(z.string()),
  authMethod: z.enum(['none', 'client_secret_basic', 'client_secret_post']),
});

export const oauthCredentialSchema = z.object({
  version: z.literal(1),
  kind: z.literal('oauth'),
  /** The MCP endpoint URL this credential is for (the storage key). */
  url: z.string(),
  /** The RFC 8707 resource indicator sent with every authorization, token and refresh request. */
  resource: z.string(),
  obtainedAt: z.string(),
  accessToken: z.string().check(z.minLength(1)),
  tokenType: z._default(z.string(), 'Bearer'),
  /** ISO-8601; absent when the server did not say (treated as valid until the server rejects it). */
  expiresAt: z.optional(z.string()),
  refreshToken: z.optional(z.string()),
  /** Space-separated granted scopes. */
  scope: z.optional(z.string()),
  client: clientSchema,
  /** The authorization server's metadata as discovered at login, so refreshes need no rediscovery. */
  authorizationServer: z.object({ issuer: z.string(), metadata: z.record(z.string(), z.unknown()) }),
});

export const apiTokenCredentialSchema = z.object({
  version: z.literal(1),
  kind: z.literal('api_token'),
  url: z.string(),
  obtainedAt: z.string(),
  token: z.string().check(z.minLength(1)),
});

export const credentialSchema = z.discriminatedUnion('kind', [oauthCredentialSchema, apiTokenCredentialSchema]);

export type OAuthCredential = z.infer<typeof oauthCredentialSchema>;
export type ApiTokenCredential = z.infer<typeof apiTokenCredentialSchema>;
export type Credential = z.infer<typeof credentialSchema>;
export type ClientInfo = z.infer<typeof clientSchema>;

/** One credential and where it is kept. */
export interface StoredEntry {
  url: string;
  credential: Credential;
  /** Human description of the backend, e.g. "keychain (service conduit-mcp)" or "file /home/u/.config/…". */
  backend: string;
}

/** A place credentials are kept, keyed by resource URL. Implementations re-read on every call (no caching) so processes see each other's writes. */
export interface CredentialStore {
  readonly kind: 'keychain' | 'file' | 'layered';
  get(url: string): Promise<Credential | null>;
  set(url: string, credential: Credential): Promise<void>;
  /** True when something was deleted. */
  delete(url: string): Promise<boolean>;
  list(): Promise<StoredEntry[]>;
  describe(): string;
}

/** Parses stored JSON; null for anything unreadable (a corrupt entry behaves like no entry, so `login` repairs it). */
export function parseCredential(text: string): Credential | null {
  try {
    const result = credentialSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

/** A short, filesystem-safe name derived from a URL (for credential files and lock files). */
export function urlDigest(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}
