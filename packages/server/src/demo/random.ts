import { newId, type IdPrefix } from '../ids.js';

/**
 * Reproducible randomness for the demo data. Every generated entity draws from its own stream,
 * derived from (seed, stream name, index), so contact #417 is the same whatever else was
 * generated before it: content stays deterministic at any scale and generators need not keep
 * earlier rows in memory to refer to them.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: a float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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

/** murmur3's finalizer: spreads nearby inputs (index 1, 2, 3…) over the whole 32-bit range. */
function mix(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The generator for one entity: `streamRng(seed, 'acme-hotels/contact', 17)`. */
export function streamRng(seed: number, stream: string, index = 0): Rng {
  return new Rng(mix(mix(seed ^ hashString(stream)) + Math.imul(index + 1, 0x9e3779b1)));
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
