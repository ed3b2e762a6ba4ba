import { z } from 'zod';
import { invalidArgument, notFound } from '../core/errors.js';
import { childPath } from '../knowledge/chunking.js';
import { matchingSentences, phraseQuery } from '../knowledge/matches.js';
import {
  assertPathFree,
  childCount,
  deleteSubtree,
  inSubtree,
  isWithin,
  loadFolder,
  loadNode,
  movePaths,
  writeChunks,
  type KnowledgeNodeRow,
} from '../knowledge/tree.js';
import { newId } from '../ids.js';
import { parseSearchQuery } from '../store/search.js';
import { defineWorkspaceTool, type AnyTool, type ToolContext } from './define.js';
import { defineGetTool } from './get-tool.js';
import { narrow } from './list-filters.js';
import { defineListTool } from './list-tool.js';
import { pageSchema, paginationShape, rankedPage } from './pagination.js';
import { idempotencyKeySchema, idSchema, singleLine, timestampOut } from './schemas.js';
import { searchQuerySchema, searchTerms } from './search-query.js';

const nodeIdSchema = idSchema('kn', 'Knowledge node');
const kindSchema = z.enum(['folder', 'article']);

const nodeSummary = z.object({
  id: z.string(),
  title: z.string(),
  path: z.string().describe('Titles from the root, e.g. "/Policies/Cancellation".'),
  kind: kindSchema,
  parent_id: z.string().nullable(),
  updated_at: timestampOut,
});

const nodeOut = nodeSummary.extend({
  body: z.string().describe('Markdown body; empty for folders.'),
  children_count: z.number().int(),
  created_at: timestampOut,
});

const chunkHit = z.object({
  node_id: z.string(),
  chunk_id: z.string(),
  node_title: z.string(),
  node_path: z.string(),
  chunk_text: z.string(),
  relevance_score: z.number().describe('0-1, relative to the best hit of this query.'),
});

const nodeHit = z.object({
  id: z.string(),
  title: z.string(),
  path: z.string(),
  kind: kindSchema,
  updated_at: timestampOut,
  matches: z.array(z.string()).describe('The title (if it matches) and up to 5 sentences of the body containing the match.'),
});

/** "/Policies", "Policies/" and "/Policies/" all mean the subtree at /Policies; "/" means everything. */
const pathPrefixSchema = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .transform((value) => {
    const path = `/${value.replace(/^\/+|\/+$/g, '')}`;
    return path === '/' ? undefined : path;
  })
  .optional()
  .describe('Only nodes at this path or below it, e.g. "/Policies".');

const title = singleLine(z.string().trim().min(1).max(200)).describe('Node title; also its last path segment.');
const body = z.string().max(200_000).describe('Markdown body (articles only).');


async function toNode(ctx: ToolContext, row: KnowledgeNodeRow): Promise<z.input<typeof nodeOut>> {
  return { ...row, children_count: await childCount(ctx.db, row.id) };
}

export const searchKnowledge = defineWorkspaceTool({
  name: 'search_knowledge',
  title: 'Search knowledge',
  description:
    'Answer a question from the knowledge base: returns the best-matching passages (chunks) ranked by relevance, each with its node title and path to cite. Any word may match; more matching words rank higher. node_ids restricts the search to those folders or articles and everything below them.',
  kind: 'read',
  input: {
    query: searchQuerySchema('A question or keywords, e.g. "refund policy for early checkout".'),
    node_ids: z.array(nodeIdSchema).min(1).max(50).optional().describe('Only search these subtrees.'),
    max_results: z.number().int().min(1).max(50).default(10).describe('How many passages to return (1-50, default 10).'),
  },
  output: z.object({ data: z.array(chunkHit) }),
  async handler(args, ctx, workspace) {
    const query = searchTerms(args.query);
    let pathPrefixes: string[] | undefined;
    if (args.node_ids) {
      const ids = [...new Set(args.node_ids)];
      const rows = await ctx.db
        .selectFrom('knowledge_nodes')
        .select(['id', 'path'])
        .where('workspace_id', '=', workspace.id)
        .where('id', 'in', ids)
        .execute();
      const missing = ids.filter((id) => !rows.some((row) => row.id === id));
      if (missing.length > 0) throw notFound('Knowledge node', missing.join(', '));
      pathPrefixes = rows.map((row) => row.path);
    }
    const data = await ctx.search.knowledgeChunks({
      workspaceId: workspace.id,
      query,
      pathPrefixes,
      maxResults: args.max_results,
    }, { signal: ctx.signal });
    return { data };
  },
});

export const searchKnowledgeNodes = defineWorkspaceTool({
  name: 'search_knowledge_nodes',
  title: 'Search knowledge nodes',
  description:
    'Find every knowledge node whose title or body mentions something, e.g. all nodes that mention "48 hours". Each hit has the title, path and the sentences containing the match, so one call answers "which articles say X, and where". match "words" (default) needs every word somewhere in the node; "phrase" needs the words together in order. For answering a question, use search_knowledge.',
  kind: 'read',
  input: {
    query: searchQuerySchema('Words or a phrase to find, e.g. "48 hours".'),
    match: z.enum(['words', 'phrase']).default('words').describe('words (default): all words anywhere; phrase: the exact phrase.'),
    path_prefix: pathPrefixSchema,
    ...paginationShape,
  },
  output: pageSchema(nodeHit),
  async handler(args, ctx, workspace) {
    const query = searchTerms(args.query, args.match === 'phrase' ? phraseQuery : parseSearchQuery);
    return rankedPage(
      ctx,
      workspace.id,
      args,
      ({ after, limit }) => ctx.search.knowledgeNodes({ workspaceId: workspace.id, query, pathPrefix: args.path_prefix, limit, after }, { signal: ctx.signal }),
      (page) =>
        page.map((hit) => ({
          id: hit.id,
          title: hit.title,
          path: hit.path,
          kind: hit.kind as z.infer<typeof kindSchema>,
          updated_at: hit.updated_at,
          matches: matchingSentences(hit.title, hit.body, query),
        })),
    );
  },
});

export const listKnowledgeNodes = defineListTool({
  name: 'list_knowledge_nodes',
  title: 'List knowledge nodes',
  description:
    'Browse the knowledge tree in path order. parent_id lists one folder\'s direct children (null: the top level); path_prefix lists a whole subtree; kind keeps only folders or articles. Returns summaries without bodies; use get_knowledge_node for the text.',
  filters: {
    parent_id: nodeIdSchema.nullable().optional().describe('Direct children of this folder; null for top-level nodes.'),
    path_prefix: pathPrefixSchema,
    kind: kindSchema.optional().describe('Only folders or only articles.'),
  },
  item: nodeSummary,
  async rows(args, ctx, workspace) {
    let nodes = narrow(ctx.db.selectFrom('knowledge_nodes').selectAll().where('workspace_id', '=', workspace.id), { equal: { kind: args.kind } });
    if (args.parent_id === null) nodes = nodes.where('parent_id', 'is', null);
    else if (args.parent_id !== undefined) nodes = nodes.where('parent_id', '=', (await loadNode(ctx.db, workspace.id, args.parent_id)).id);
    if (args.path_prefix) nodes = nodes.where(inSubtree('path', args.path_prefix));
    return nodes;
  },
  order: { column: 'path', direction: 'asc' },
  toItem: (row) => row,
});

export const getKnowledgeNode = defineGetTool({
  name: 'get_knowledge_node',
  title: 'Get knowledge node',
  description: 'Get one knowledge folder or article, including its full markdown body, path, parent and number of children.',
  row: { table: 'knowledge_nodes', argument: 'node_id', schema: nodeIdSchema },
  output: nodeOut,
  toItem: (row, ctx) => toNode(ctx, row),
});

function refuseFolderBody(kind: string, text: string | undefined): void {
  if (kind === 'folder' && text !== undefined && text.trim() !== '') {
    throw invalidArgument('body: a folder has no body; create an article inside it for the text.');
  }
}

export const createKnowledgeNode = defineWorkspaceTool({
  name: 'create_knowledge_node',
  title: 'Create knowledge node',
  description:
    'Create a folder or an article, at the top level or inside a folder (parent_id). Its path is the parent\'s path plus the title and must be unique in the workspace. An article\'s body is searchable at once.',
  kind: 'create',
  input: {
    title,
    kind: kindSchema.describe('folder (holds other nodes) or article (has a body).'),
    body: body.optional(),
    parent_id: nodeIdSchema.optional().describe('The folder to create it in; omit for the top level.'),
    idempotency_key: idempotencyKeySchema,
  },
  output: nodeOut,
  async handler(args, ctx, workspace) {
    const db = ctx.db;
    refuseFolderBody(args.kind, args.body);
    const parent = args.parent_id ? await loadFolder(db, workspace.id, args.parent_id) : null;
    const path = childPath(parent?.path ?? null, args.title);
    await assertPathFree(db, workspace.id, path);
    const now = ctx.now().toISOString();
    const id = newId('kn');
    const text = args.kind === 'article' ? (args.body ?? '') : '';
    await db
      .insertInto('knowledge_nodes')
      .values({
        id,
        workspace_id: workspace.id,
        parent_id: parent?.id ?? null,
        kind: args.kind,
        title: args.title,
        path,
        body: text,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await writeChunks(db, workspace.id, id, text);
    return toNode(ctx, await loadNode(db, workspace.id, id));
  },
});

export const updateKnowledgeNode = defineWorkspaceTool({
  name: 'update_knowledge_node',
  title: 'Update knowledge node',
  description:
    'Rename, rewrite or move a knowledge node. Only the fields given change. parent_id moves it into another folder (null: to the top level); moving or renaming a folder updates the paths of everything below it. Search reflects the change at once.',
  kind: 'update',
  input: {
    node_id: nodeIdSchema,
    title: title.optional(),
    body: body.optional().describe('New markdown body, replacing the old one (articles only).'),
    parent_id: nodeIdSchema.nullable().optional().describe('Folder to move the node into; null moves it to the top level.'),
    idempotency_key: idempotencyKeySchema,
  },
  output: nodeOut,
  async handler(args, ctx, workspace) {
    const db = ctx.db;
    if (args.title === undefined && args.body === undefined && args.parent_id === undefined) {
      throw invalidArgument('give at least one of title, body or parent_id to change.');
    }
    const node = await loadNode(db, workspace.id, args.node_id);
    refuseFolderBody(node.kind, args.body);

    let parentId = node.parent_id;
    let parentPath = parentId ? (await loadNode(db, workspace.id, parentId)).path : null;
    if (args.parent_id !== undefined) {
      const parent = args.parent_id === null ? null : await loadFolder(db, workspace.id, args.parent_id);
      if (parent && isWithin(parent.path, node.path)) {
        throw invalidArgument(`parent_id: cannot move "${node.path}" into itself or one of its own descendants ("${parent.path}").`);
      }
      parentId = parent?.id ?? null;
      parentPath = parent?.path ?? null;
    }
    const newPath = childPath(parentPath, args.title ?? node.title);
    const now = ctx.now().toISOString();
    if (newPath !== node.path) {
      await assertPathFree(db, workspace.id, newPath, node.id);
      await movePaths(db, workspace.id, node.path, newPath, now);
    }
    await db
      .updateTable('knowledge_nodes')
      .set({
        title: args.title ?? node.title,
        parent_id: parentId,
        ...(args.body !== undefined && node.kind === 'article' ? { body: args.body } : {}),
        updated_at: now,
      })
      .where('id', '=', node.id)
      .execute();
    if (args.body !== undefined && node.kind === 'article') await writeChunks(db, workspace.id, node.id, args.body);
    return toNode(ctx, await loadNode(db, workspace.id, node.id));
  },
});

export const deleteKnowledgeNode = defineWorkspaceTool({
  name: 'delete_knowledge_node',
  title: 'Delete knowledge node',
  description:
    'Delete a knowledge article or folder. A folder that still has children is only deleted with recursive: true, which deletes everything below it too.',
  kind: 'delete',
  input: {
    node_id: nodeIdSchema,
    recursive: z.boolean().default(false).describe('Also delete everything below a folder (required if it has children).'),
    idempotency_key: idempotencyKeySchema,
  },
  output: z.object({
    id: z.string(),
    path: z.string(),
    deleted: z.literal(true),
    deleted_count: z.number().int().describe('Nodes deleted, including descendants.'),
  }),
  async handler(args, ctx, workspace) {
    const db = ctx.db;
    const node = await loadNode(db, workspace.id, args.node_id);
    const children = await childCount(db, node.id);
    if (children > 0 && !args.recursive) {
      throw invalidArgument(
        `folder "${node.path}" has ${children} child node${children === 1 ? '' : 's'}; pass recursive: true to delete it with everything below it.`,
        { children_count: children },
      );
    }
    const deleted = await deleteSubtree(db, workspace.id, node.path);
    return { id: node.id, path: node.path, deleted: true as const, deleted_count: deleted };
  },
});

export const knowledgeTools: AnyTool[] = [
  searchKnowledge,
  searchKnowledgeNodes,
  listKnowledgeNodes,
  getKnowledgeNode,
  createKnowledgeNode,
  updateKnowledgeNode,
  deleteKnowledgeNode,
];
