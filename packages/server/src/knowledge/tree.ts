import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { invalidArgument, ToolError } from '../core/errors.js';
import { findInWorkspace } from '../core/find-in-workspace.js';
import { newId } from '../ids.js';
import type { Database, KnowledgeNodesTable } from '../store/schema.js';
import { chunkBody } from './chunking.js';

/**
 * Tree operations on knowledge nodes. A node's `path` is stored (not computed) so subtree
 * filters and search can use it directly; every function here that changes titles or parents
 * keeps the stored paths of the whole subtree in step, inside the caller's transaction.
 */
export type KnowledgeNodeRow = Selectable<KnowledgeNodesTable>;

/**
 * "`column` is `path` or below it". A prefix comparison with substr rather than LIKE, so titles
 * containing `%` or `_` need no escaping; the lengths are computed by the database so they count
 * characters the way its substr does. The casts keep PostgreSQL from guessing parameter types.
 */
export function inSubtree(column: string, path: string): Expression<SqlBool> {
  const p = sql`CAST(${path} AS TEXT)`;
  return sql<SqlBool>`(${sql.ref(column)} = ${p} OR substr(${sql.ref(column)}, 1, length(${p}) + 1) = ${p} || '/')`;
}

/** The same test in memory, for paths already loaded. */
export function isWithin(path: string, ancestorPath: string): boolean {
  return path === ancestorPath || path.startsWith(`${ancestorPath}/`);
}

export function loadNode(db: Kysely<Database>, workspaceId: string, nodeId: string): Promise<KnowledgeNodeRow> {
  return findInWorkspace(db, 'knowledge_nodes', workspaceId, nodeId);
}

/** A node that may hold children: it must exist in the workspace and be a folder. */
export async function loadFolder(db: Kysely<Database>, workspaceId: string, nodeId: string): Promise<KnowledgeNodeRow> {
  const row = await loadNode(db, workspaceId, nodeId);
  if (row.kind !== 'folder') {
    throw invalidArgument(`parent_id ${nodeId} ("${row.path}") is an article; only folders can contain nodes.`);
  }
  return row;
}

/** Paths are unique per workspace: refuses `path` when a node other than `selfId` holds it. */
export async function assertPathFree(
  db: Kysely<Database>,
  workspaceId: string,
  path: string,
  selfId?: string,
): Promise<void> {
  const existing = await db
    .selectFrom('knowledge_nodes')
    .select(['id', 'kind'])
    .where('workspace_id', '=', workspaceId)
    .where('path', '=', path)
    .executeTakeFirst();
  if (existing && existing.id !== selfId) {
    throw new ToolError(
      'conflict',
      `a knowledge ${existing.kind} already exists at path "${path}": ${existing.id}. Choose another title or parent, or update that node.`,
      { existing_node_id: existing.id },
    );
  }
}

export async function childCount(db: Kysely<Database>, nodeId: string): Promise<number> {
  const row = await db
    .selectFrom('knowledge_nodes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('parent_id', '=', nodeId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Replaces a node's search chunks with those of `body`, so search reflects the new text at once. */
export async function writeChunks(db: Kysely<Database>, workspaceId: string, nodeId: string, body: string): Promise<void> {
  await db.deleteFrom('knowledge_chunks').where('node_id', '=', nodeId).execute();
  const chunks = chunkBody(body);
  if (chunks.length === 0) return;
  await db
    .insertInto('knowledge_chunks')
    .values(chunks.map((text, position) => ({ id: newId('kc'), workspace_id: workspaceId, node_id: nodeId, position, text })))
    .execute();
}

/**
 * Re-roots the subtree at `oldPath` (the node and all its descendants) to `newPath` in one
 * statement. The caller has checked that `newPath` is free and not inside the subtree, and in a
 * tree that also means no descendant's new path is taken, so the unique index cannot trip midway.
 * Descendants get a new `updated_at` too: their path is part of what a client has cached.
 */
export async function movePaths(
  db: Kysely<Database>,
  workspaceId: string,
  oldPath: string,
  newPath: string,
  now: string,
): Promise<void> {
  await db
    .updateTable('knowledge_nodes')
    .set({
      path: sql<string>`CAST(${newPath} AS TEXT) || substr(path, length(CAST(${oldPath} AS TEXT)) + 1)`,
      updated_at: now,
    })
    .where('workspace_id', '=', workspaceId)
    .where(inSubtree('path', oldPath))
    .execute();
}

/** Deletes the node at `path`, its descendants and all their chunks. Returns how many nodes went. */
export async function deleteSubtree(db: Kysely<Database>, workspaceId: string, path: string): Promise<number> {
  const subtreeIds = db
    .selectFrom('knowledge_nodes')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where(inSubtree('path', path));
  await db.deleteFrom('knowledge_chunks').where('node_id', 'in', subtreeIds).execute();
  // One statement for the whole subtree: the parent_id foreign key is checked at its end, when
  // no remaining node points at a deleted one.
  const result = await db
    .deleteFrom('knowledge_nodes')
    .where('workspace_id', '=', workspaceId)
    .where(inSubtree('path', path))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
