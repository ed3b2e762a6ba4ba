import type { Kysely } from 'kysely';
import { normalizeEmail } from '../core/normalize.js';
import { newId, nowIso } from '../ids.js';
import type { Database, WorkspaceRole } from '../store/schema.js';

/** Users who sign in on the OAuth pages, and their workspace memberships, as administrators change them. */

export interface UserRow {
  id: string;
  email: string;
  name: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Normalized as sign-in compares it; throws for what cannot be an address. */
export function normalizeUserEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (!EMAIL.test(normalized)) throw new Error(`invalid email "${email}"`);
  return normalized;
}

export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(['id', 'email', 'name']).where('email', '=', normalizeUserEmail(email)).executeTakeFirst();
}

/** The user with this email, or an error that says how to see who exists. */
export async function requireUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow> {
  const user = await findUserByEmail(db, email);
  if (!user) throw new Error(`no user with email ${normalizeUserEmail(email)} (see \`users list\`)`);
  return user;
}

export async function insertUser(
  db: Kysely<Database>,
  input: { email: string; name: string; passwordHash: string; memberships: Array<{ workspaceId: string; role: WorkspaceRole }> },
): Promise<string> {
  const id = newId('us');
  await db.insertInto('users').values({ id, email: input.email, name: input.name, password_hash: input.passwordHash, created_at: nowIso() }).execute();
  if (input.memberships.length) {
    await db
      .insertInto('memberships')
      .values(input.memberships.map((m) => ({ user_id: id, workspace_id: m.workspaceId, role: m.role })))
      .execute();
  }
  return id;
}

export async function setPasswordHash(db: Kysely<Database>, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

/** Deletes the user and their memberships (their OAuth state is the caller's to revoke). */
export async function deleteUserRows(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('memberships').where('user_id', '=', userId).execute();
  await db.deleteFrom('users').where('id', '=', userId).execute();
}

export async function membershipRole(db: Kysely<Database>, userId: string, workspaceId: string): Promise<WorkspaceRole | undefined> {
  const row = await db.selectFrom('memberships').select('role').where('user_id', '=', userId).where('workspace_id', '=', workspaceId).executeTakeFirst();
  return row?.role;
}

export async function addMembership(db: Kysely<Database>, userId: string, workspaceId: string, role: WorkspaceRole): Promise<void> {
  await db.insertInto('memberships').values({ user_id: userId, workspace_id: workspaceId, role }).execute();
}

export async function setMembershipRole(db: Kysely<Database>, userId: string, workspaceId: string, role: WorkspaceRole): Promise<void> {
  await db.updateTable('memberships').set({ role }).where('user_id', '=', userId).where('workspace_id', '=', workspaceId).execute();
}

export async function removeMembership(db: Kysely<Database>, userId: string, workspaceId: string): Promise<void> {
  await db.deleteFrom('memberships').where('user_id', '=', userId).where('workspace_id', '=', workspaceId).execute();
}
