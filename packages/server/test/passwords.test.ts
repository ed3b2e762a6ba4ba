import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/auth/passwords.js';

describe('passwords', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const parts = stored.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(parts[4] ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5] ?? '', 'base64')).toHaveLength(32);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const stored = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true);
  });

  it('rejects malformed stored values instead of throwing', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, hash] = good.split('$');
    const malformed = [
      '',
      'pw',
      'bcrypt$16384$8$1$' + salt + '$' + hash,
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16384$8$1$${salt}$${hash}$extra`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // N beyond the cap
      `scrypt$16384$0$1$${salt}$${hash}`,
      `scrypt$16384$8$1$not*base64$${hash}`,
      `scrypt$16384$8$1$${salt}$`,
      `scrypt$16384$8$1$${salt}$AAAA`, // hash too short
      `scrypt$-1$8$1$${salt}$${hash}`,
    ];
    for (const stored of malformed) expect(await verifyPassword('pw', stored), stored).toBe(false);
  });

  it('verifies hashes made with other accepted cost parameters', async () => {
    // A stored hash keeps its own parameters, so raising COST later does not lock anyone out.
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.alloc(16, 3);
    const key = scryptSync('pw', salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('pw', stored)).toBe(true);
    expect(await verifyPassword('pW', stored)).toBe(false);
  });
});
