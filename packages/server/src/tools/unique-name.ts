import { ToolError } from '../core/errors.js';

/**
 * Agents and skills are picked by name in conversation ("turn on the Billing Assistant"), so a
 * name is unique in its workspace regardless of letter case. The comparison runs here rather
 * than in SQL because SQLite's lower() only folds ASCII; a workspace has few agents and skills.
 */
export function assertNameFree(
  what: 'agent' | 'skill',
  existing: ReadonlyArray<{ id: string; name: string }>,
  name: string,
  exceptId?: string,
): void {
  const folded = name.toLowerCase();
  const clash = existing.find((row) => row.id !== exceptId && row.name.toLowerCase() === folded);
  if (clash) {
    throw new ToolError(
      'conflict',
      `name: ${what} ${clash.id} is already named "${clash.name}"; ${what} names are unique per workspace, ignoring case.`,
      { existing_id: clash.id },
    );
  }
}

/** Drops repeated entries, keeping the first occurrence's position. */
export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
