import type { Credential } from '../auth/credential.js';
import type { Store } from '../store/store.js';
import type { Workspace } from './define.js';
import { ToolError } from './errors.js';

const NO_WORKSPACES =
  'This credential is valid but not scoped to any workspace. For OAuth, reconnect and grant at least one workspace during consent; for API tokens, attach the token to a workspace.';

/**
 * Workspaces are never renamed or deleted, so a workspace found once is cached for the life of
 * the store (per store, so tests with several stores stay apart). Misses are not cached: a
 * workspace created later must be found.
 */
const known = new WeakMap<Store, Map<string, Workspace>>();

async function findWorkspace(store: Store, idOrSlug: string): Promise<Workspace | undefined> {
  let cache = known.get(store);
  if (!cache) known.set(store, (cache = new Map()));
  const cached = cache.get(idOrSlug);
  if (cached) return cached;
  const column = idOrSlug.startsWith('wp_') ? 'id' : 'slug';
  const row = await store.db.selectFrom('workspaces').select(['id', 'slug', 'name']).where(column, '=', idOrSlug).executeTakeFirst();
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
export function workspaceResolver(store: Store, credential: Credential): (idOrSlug: string) => Promise<Workspace> {
  return async (idOrSlug) => {
    if (credential.workspaceIds.size === 0) throw new ToolError('forbidden', NO_WORKSPACES);
    const row = await findWorkspace(store, idOrSlug);
    if (!row || !credential.workspaceIds.has(row.id)) {
      throw new ToolError(
        'forbidden',
        `Workspace "${idOrSlug}" is not available to this credential. Call list_workspaces to see the ones you can use.`,
      );
    }
    return row;
  };
}
