import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { Store } from '../store/store.js';
import { serverKey } from '../store/settings.js';

const JWKS_SETTING = 'oauth_jwks';

export interface OAuthKeys {
  /** Private signing keys (JWK) for oidc-provider: ID tokens when `openid` is requested. */
  jwks: { keys: JsonWebKey[] };
  /** Keys for oidc-provider's signed cookies (session, interaction). */
  cookieKeys: string[];
  /** HMAC key for the CSRF tokens of the sign-in and consent forms. */
  csrfKey: Buffer;
}

function newSigningKey(): JsonWebKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

/**
 * Loads the signing key set from the settings table, creating it on first start. Keeping it in
 * the database means restarts and replicas sign with (and publish) the same keys.
 */
async function signingKeys(store: Store): Promise<{ keys: JsonWebKey[] }> {
  const read = () => store.db.selectFrom('settings').select('value').where('key', '=', JWKS_SETTING).executeTakeFirst();
  const existing = await read();
  if (existing) return JSON.parse(existing.value) as { keys: JsonWebKey[] };
  const value = JSON.stringify({ keys: [newSigningKey()] });
  // Two processes may race on first start: the first insert wins and both use it.
  await store.db.insertInto('settings').values({ key: JWKS_SETTING, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await read();
  if (!row) throw new Error('could not store the OAuth signing keys');
  return JSON.parse(row.value) as { keys: JsonWebKey[] };
}

export async function loadOAuthKeys(store: Store): Promise<OAuthKeys> {
  const [jwks, cookieKey, csrfKey] = await Promise.all([signingKeys(store), serverKey(store, 'oauth_cookie_key'), serverKey(store, 'oauth_csrf_key')]);
  return { jwks, cookieKeys: [cookieKey.toString('base64')], csrfKey };
}
