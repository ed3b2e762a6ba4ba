import { invalidArgument, ToolError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import type { Kysely } from 'kysely';

/**
 * Agents and skills are picked by name in conversation ("turn on the Billing Assistant"), so a
 * name is unique in its workspace regardless of letter case. The comparison runs here rather
 * than in SQL because SQLite's lower() only folds ASCII; a workspace has few agents and skills.
 * `exceptId` is the row being renamed, which may keep its own name.
 */
export async function assertNameFree(
  db: Kysely<Database>,
  table: 'agents' | 'skills',
  workspaceId: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  const existing = await db.selectFrom(table).select(['id', 'name']).where('workspace_id', '=', workspaceId).execute();
  const folded = name.toLowerCase();
  const clash = existing.find((row) => row.id !== exceptId && row.name.toLowerCase() === folded);
  if (clash) {
    const what = table === 'agents' ? 'agent' : 'skill';
    throw new ToolError(
      'conflict',
      `name: ${what} ${clash.id} is already named "${clash.name}"; ${what} names are unique per workspace, ignoring case.`,
      { existing_id: clash.id },
    );
  }
}

/** A patch of an agent or a skill must change something: refuses one that passes none of `fields`. */
export function requireChange<Args extends Record<string, unknown>>(args: Args, fields: ReadonlyArray<keyof Args & string>): void {
  if (fields.every((field) => args[field] === undefined)) {
    throw invalidArgument(`Nothing to change: pass at least one of ${fields.join(', ')}.`);
  }
}

/** Drops repeated entries, keeping the first occurrence's position. */
export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
