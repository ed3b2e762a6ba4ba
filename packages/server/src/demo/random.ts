import { newId, type IdPrefix } from '../ids.js';

/**
 * Reproducible randomness for the demo data. Every generated entity draws from its own stream,
 * derived from (seed, stream name, index), so contact #417 is the same whatever else was
 * generated before it: content stays deterministic at any scale and generators need not keep
 * earlier rows in memory to refer to them.
 *
 * The generator is sfc32 (128-bit state). A 32-bit generator such as mulberry32 is not enough
 * here: at a million messages, hundreds of thousands of streams would start close together on
 * its single 2^32 cycle and repeat each other's ids.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    [this.a, this.b, this.c, this.d] = [a | 0, b | 0, c | 0, d | 0];
    // The first outputs still resemble the seed words; discard them.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of the values, with probability proportional to its weight. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [value, weight] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [T, number])[0];
  }

  /** k distinct items in random order (all of them when k exceeds the list). */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, k);
  }

  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** A prefixed id in the same format as production ids, from this stream. */
  id(prefix: IdPrefix): string {
    return newId(prefix, this.bytes(10));
  }
}

/** FNV-1a: stream names to 32-bit numbers. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** murmur3's finalizer: a bijection on 32 bits that spreads nearby inputs (1, 2, 3…) apart. */
function mix(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The generator for one entity: `streamRng(seed, 'acme-hotels/contact', 17)`. Distinct
 * (stream, index) pairs get distinct states: one state word is the stream hash and another a
 * bijection (mix) of the index.
 */
export function streamRng(seed: number, stream: string, index = 0): Rng {
  const name = hashString(stream);
  const high = Math.floor(seed / 4294967296);
  return new Rng(mix(seed ^ 0x9e3779b9), mix(high ^ name), mix(index ^ name), name);
}

/**
 * A bijection on [0, 2^bits): index → scrambled value. Used where values must be unique
 * (confirmation codes, phone numbers) yet should not look sequential. Multiplying by an odd
 * number and xor-shifting right are each invertible modulo a power of two.
 */
export function scramble(index: number, bits: number, key: number): number {
  const mask = 2 ** bits - 1;
  let x = (index ^ (key & mask)) & mask;
  x = Math.imul(x, 0x2545f491 | 1) & mask;
  x ^= x >>> Math.ceil(bits / 2);
  x = Math.imul(x, 0x9e3779b1 | 1) & mask;
  x ^= x >>> Math.ceil(bits / 3);
  return x >>> 0;
}
