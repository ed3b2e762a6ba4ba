import type { Kysely } from 'kysely';
import type { Credential } from './credential.js';
import type { Database, WorkspacesTable } from '../store/schema.js';
import { ToolError } from './errors.js';

export type Workspace = Pick<WorkspacesTable, 'id' | 'slug' | 'name'>;

const NO_WORKSPACES =
  'This credential is valid but not scoped to any workspace. For OAuth, reconnect and grant at least one workspace during consent; for API tokens, attach the token to a workspace.';

/** What a credential that was granted no workspace is told, whatever it asked for. */
export function noWorkspacesError(): ToolError {
  return new ToolError('forbidden', NO_WORKSPACES);
}

/**
 * Workspaces are never renamed or deleted, so a workspace found once is cached for the life of
 * the connection it was read through (per database, so tests with several stay apart; a
 * transaction is its own and caches nothing beyond itself). Misses are not cached: a workspace
 * created later must be found.
 */
const known = new WeakMap<Kysely<Database>, Map<string, Workspace>>();

async function findWorkspace(db: Kysely<Database>, idOrSlug: string): Promise<Workspace | undefined> {
  let cache = known.get(db);
  if (!cache) known.set(db, (cache = new Map()));
  const cached = cache.get(idOrSlug);
  if (cached) return cached;
  const column = idOrSlug.startsWith('wp_') ? 'id' : 'slug';
  const row = await db.selectFrom('workspaces').select(['id', 'slug', 'name']).where(column, '=', idOrSlug).executeTakeFirst();
  if (row) {
    cache.set(row.id, row);
    cache.set(row.slug, row);
  }
  return row;
}

/**
 * Resolves a `workspace_id` argument (id or slug) for one credential. A workspace that exists
 * but was not granted and one that does not exist get the same answer, so the error never
 * tells a caller which workspaces exist.
 */
export function workspaceResolver(db: Kysely<Database>, credential: Credential): (idOrSlug: string) => Promise<Workspace> {
  return async (idOrSlug) => {
    if (credential.workspaceIds.size === 0) throw noWorkspacesError();
    const row = await findWorkspace(db, idOrSlug);
    if (!row || !credential.workspaceIds.has(row.id)) {
      throw new ToolError(
        'forbidden',
        `Workspace "${idOrSlug}" is not available to this credential. Call list_workspaces to see the ones you can use.`,
      );
    }
    return row;
  };
}
