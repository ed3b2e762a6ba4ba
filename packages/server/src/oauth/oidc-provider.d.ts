/**
 * The part of oidc-provider's API this server uses. The package ships no type declarations
 * (and @types/oidc-provider is not a dependency), so this states what we rely on.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type AdapterPayload = Record<string, unknown> & {
    jti?: string;
    grantId?: string;
    uid?: string;
    consumed?: number;
    client_secret?: string;
  };

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  /** The Koa context oidc-provider passes to configuration callbacks and middleware. */
  export interface KoaContextWithOIDC {
    method: string;
    path: string;
    querystring: string;
    status: number;
    type: string;
    body: unknown;
    set(name: string, value: string): void;
    oidc: {
      route?: string;
      client?: ClientModel;
      params?: Record<string, unknown>;
      body?: Record<string, unknown>;
      result?: { consent?: { grantId?: string } };
      /** The browser's sign-in: `loginTs` in epoch seconds. */
      session?: { accountId?: string; loginTs?: number };
      provider: Provider;
    };
  }

  export interface ClientModel {
    clientId: string;
    clientName?: string;
    clientUri?: string;
    redirectUris: string[];
    applicationType: 'web' | 'native';
    clientAuthMethod: string;
    clientSecret?: string;
    grantTypeAllowed(type: string): boolean;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenFormat?: 'opaque' | 'jwt';
    accessTokenTTL?: number;
  }

  export interface AccessTokenModel {
    jti: string;
    accountId: string;
    clientId: string;
    grantId: string;
    scope?: string;
    aud?: string | string[];
    exp: number;
  }

  export interface GrantModel {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    rejectOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    rejectResourceScope(resource: string, scope: string): void;
    save(ttl?: number): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: 'login' | 'consent' | string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, string | undefined>;
    session?: { accountId: string; uid: string };
    grantId?: string;
    returnTo: string;
  }

  export interface InteractionResult {
    login?: { accountId: string; remember?: boolean };
    consent?: { grantId: string };
    error?: string;
    error_description?: string;
  }

  export interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown> & { sub: string }>;
  }

  export type Configuration = Record<string, unknown>;

  /** A reason for a prompt: `check` answers Check.REQUEST_PROMPT (true) to show it. */
  export class InteractionCheck {
    constructor(reason: string, description: string, check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>);
    static readonly REQUEST_PROMPT: true;
    static readonly NO_NEED_TO_PROMPT: false;
  }

  export interface InteractionPrompt {
    name: string;
    checks: InteractionCheck[];
  }

  export const interactionPolicy: {
    Check: typeof InteractionCheck;
    /** The default prompts (login, consent), for `interactions.policy`. */
    base(): InteractionPrompt[] & { get(name: string): InteractionPrompt | undefined };
  };

  export class errors {
    static InvalidTarget: new (description?: string) => Error;
    static InvalidClientMetadata: new (description?: string) => Error;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly issuer: string;
    proxy: boolean;
    readonly Client: { prototype: { compareClientSecret(actual: string): Promise<boolean> | boolean }; find(id: string): Promise<ClientModel | undefined> };
    readonly AccessToken: { find(token: string): Promise<AccessTokenModel | undefined> };
    readonly Grant: { new (input: { accountId: string; clientId: string }): GrantModel; find(id: string): Promise<GrantModel | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>): void;
    on(event: string, listener: (...args: never[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: InteractionResult, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  }
}
