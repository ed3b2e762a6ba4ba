import { randomBytes } from 'node:crypto';

/** Crockford base32: no I, L, O, U, so ids survive being read aloud or retyped. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdPrefix =
  | 'wp' | 'sd' | 'us' | 'ct' | 'cv' | 'msg' | 'tk' | 'tm' | 'cl' | 'ap' | 'rs'
  | 'kn' | 'kc' | 'ag' | 'sk' | 'ca' | 'tok' | 'ob';

/** Encodes bytes as base32 (5 bits a character), for ids and secrets. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** A new random id such as `ct_5k2m…` (80 random bits: collisions are not a practical concern). */
export function newId(prefix: IdPrefix, bytes: Uint8Array = randomBytes(10)): string {
  return `${prefix}_${base32(bytes)}`;
}

/** The current time as the ISO 8601 UTC string every table stores. */
export function nowIso(): string {
  return new Date().toISOString();
}
