import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { normalizeEmail } from '../core/normalize.js';
import type { Store } from '../store/store.js';
import { hit, peek, reset, type Limit } from './rate-limit.js';

/** Users who sign in on the OAuth pages (created with `conduit-mcp-server users create`). */

export interface LoginLimits {
  /** Failed attempts per email address. */
  perEmail: Limit;
  /** Failed attempts per client IP, whatever the email. */
  perIp: Limit;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perEmail: { max: 5, windowSeconds: 15 * 60 },
  perIp: { max: 30, windowSeconds: 15 * 60 },
};

export type LoginOutcome = { ok: true; userId: string } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'throttled'; retryAfter: number };

let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password with failed-attempt throttling. Throttling is checked first, so
 * a throttled caller costs no scrypt work; an unknown email still runs one scrypt verification
 * so response time does not reveal which emails have accounts.
 */
export async function attemptLogin(store: Store, limits: LoginLimits, input: { email: string; password: string; ip: string }): Promise<LoginOutcome> {
  const email = normalizeEmail(input.email);
  const emailKey = `login:email:${email}`;
  const ipKey = `login:ip:${input.ip}`;
  const [byEmail, byIp] = await Promise.all([peek(store, emailKey, limits.perEmail), peek(store, ipKey, limits.perIp)]);
  if (byEmail.count >= limits.perEmail.max) return { ok: false, reason: 'throttled', retryAfter: byEmail.retryAfter };
  if (byIp.count >= limits.perIp.max) return { ok: false, reason: 'throttled', retryAfter: byIp.retryAfter };

  const user = await store.db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst();
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  let matches = false;
  if (user?.password_hash) matches = await verifyPassword(input.password, user.password_hash);
  else await verifyPassword(input.password, await dummyHash); // same cost as a real check, result irrelevant
  if (!user || !matches) {
    await Promise.all([hit(store, emailKey, limits.perEmail), hit(store, ipKey, limits.perIp)]);
    return { ok: false, reason: 'invalid' };
  }
  await reset(store, emailKey);
  return { ok: true, userId: user.id };
}

export interface UserInfo {
  id: string;
  email: string;
  name: string;
}

export async function findUser(store: Store, id: string): Promise<UserInfo | undefined> {
  return store.db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', id).executeTakeFirst();
}

export interface MemberWorkspace {
  id: string;
  slug: string;
  name: string;
}

/** The workspaces a user is currently a member of, the only ones they can grant. */
export async function memberWorkspaces(store: Store, userId: string): Promise<MemberWorkspace[]> {
  return store.db
    .selectFrom('memberships as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['w.id', 'w.slug', 'w.name'])
    .where('m.user_id', '=', userId)
    .orderBy('w.name')
    .execute();
}
