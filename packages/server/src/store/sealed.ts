import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Rows that only the holder of their id can read back. Some records are found by an id that is
 * itself a secret a browser or client holds: a session cookie, an OAuth token, an interaction or
 * grant id. Such a row is stored under the SHA-256 of its id, and its content is encrypted
 * (AES-256-GCM) with a key derived from the id (HKDF-SHA256). The server reads a row back only
 * when a request presents the id; a copy of the database (or a backup) holds neither the ids nor
 * anything readable without them. Ids used here are random and long (≥ 120 bits), so neither the
 * hash nor the ciphertext can be searched for them.
 *
 * Sealed text is `v1.<base64url(iv ‖ ciphertext ‖ tag)>`; `context` (e.g. the OAuth model name)
 * goes into both the key and the authenticated data, so a row cannot be read as another kind.
 */

const VERSION = 'v1.';
const SALT = 'conduit sealed row v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key a row is looked up by: SHA-256 of its id, hex. */
export function rowKey(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function keyFor(id: string, context: string): Buffer {
  return Buffer.from(hkdfSync('sha256', id, SALT, context, 32));
}

export function seal(id: string, context: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyFor(id, context), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The plaintext, or null when `sealed` was not sealed under this id and context (or was altered). */
export function unseal(id: string, context: string, sealed: string): string | null {
  if (!sealed.startsWith(VERSION)) return null;
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) return null;
  const decipher = createDecipheriv('aes-256-gcm', keyFor(id, context), raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
