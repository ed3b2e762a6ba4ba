import { createHash, randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { normalizeEmail } from '../core/normalize.js';
import { roleCanWrite } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { RateLimiter, RateLimitPolicy } from '../limits/policy.js';
import { addressSubject } from './client-ip.js';

/** Users who sign in on the OAuth pages (created with `conduit-mcp-server users create`). */

export interface LoginLimits {
  /** Sign-in attempts per account (email address); a successful sign-in refills it. */
  perEmail: RateLimitPolicy;
  /** Sign-in attempts per client address, whatever the email; successful ones are given back. */
  perIp: RateLimitPolicy;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perEmail: { limit: 5, windowSeconds: 15 * 60 },
  perIp: { limit: 30, windowSeconds: 15 * 60 },
};

export interface LoginLimiters {
  account: RateLimiter;
  address: RateLimiter;
}

export type LoginOutcome =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid'; userId: string | null }
  | { ok: false; reason: 'throttled'; retryAfter: number };

let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password under the sign-in limits. The attempt is taken from the address's
 * and the account's buckets before the password is checked, each in one atomic step of the
 * limiter's backend (the database or Redis every replica shares), so simultaneous attempts
 * cannot all pass a check made before any of them was counted: no more passwords are ever
 * checked than the limits allow. A throttled caller costs no scrypt work. A successful sign-in
 * gives its attempt back to the address (a shared office network is not throttled by people
 * signing in) and refills the account's bucket. An unknown email still runs one scrypt
 * verification, so response time does not reveal which emails have accounts.
 *
 * Throws RateLimiterUnavailableError when the limiter's backend does not answer.
 */
export async function attemptLogin(store: Store, limits: LoginLimiters, input: { email: string; password: string; ip: string }): Promise<LoginOutcome> {
  const email = normalizeEmail(input.email);
  const address = addressSubject(input.ip);
  // Hashed: what was typed as the email may be a password typed into the wrong field.
  const account = createHash('sha256').update(email).digest('base64url');
  const byAddress = await limits.address.take(address);
  if (!byAddress.allowed) return { ok: false, reason: 'throttled', retryAfter: byAddress.retryAfter };
  const byAccount = await limits.account.take(account);
  if (!byAccount.allowed) return { ok: false, reason: 'throttled', retryAfter: byAccount.retryAfter };

  const user = await store.db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst();
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  let matches = false;
  if (user?.password_hash) matches = await verifyPassword(input.password, user.password_hash);
  else await verifyPassword(input.password, await dummyHash); // same cost as a real check, result irrelevant
  if (!user || !matches) return { ok: false, reason: 'invalid', userId: user?.id ?? null };
  await Promise.all([limits.account.reset(account), limits.address.refund(address)]);
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
  /** The user's role allows changing the workspace and sending from it (see roleCanWrite). */
  canWrite: boolean;
}

/** The workspaces a user is currently a member of, the only ones they can grant. */
export async function memberWorkspaces(store: Store, userId: string): Promise<MemberWorkspace[]> {
  const rows = await store.db
    .selectFrom('memberships as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['w.id', 'w.slug', 'w.name', 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy('w.name')
    .execute();
  return rows.map(({ role, ...workspace }) => ({ ...workspace, canWrite: roleCanWrite(role) }));
}
