import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKnowledgeNode,
  deleteKnowledgeNode,
  getKnowledgeNode,
  listKnowledgeNodes,
  searchKnowledge,
  searchKnowledgeNodes,
  updateKnowledgeNode,
} from '../src/tools/knowledge.js';
import { callError, callOk, createTestStore, createWorkspace, credentialFor, testContext, type TestStore } from './helpers.js';

let t: TestStore;
let counter = 0;

interface Node {
  id: string;
  title: string;
  path: string;
  kind: string;
  parent_id: string | null;
  body: string;
  children_count: number;
}
interface Page<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}
interface Chunk {
  node_id: string;
  chunk_id: string;
  node_title: string;
  node_path: string;
  chunk_text: string;
  relevance_score: number;
}
interface NodeHit {
  id: string;
  title: string;
  path: string;
  kind: string;
  updated_at: string;
  matches: string[];
}

const CANCELLATION = [
  '# Cancellation',
  'Guests may cancel free of charge up to 48 hours before arrival. Later cancellations are charged one night.',
  'No-shows are charged the full stay.',
].join('\n\n');
const REFUNDS =
  'Refunds go to the original payment method within 5 business days. A refund for early checkout is not available after check-in.';
const PETS = 'Dogs are welcome for a fee of 48 dollars. Walking hours are 7 to 9 in the morning. Cats stay free.';
const CHECK_IN = 'Check-in starts at 3 pm. Late arrivals must tell the front desk 48 hours ahead. Our longest stay lasted 148 hours.';

/**
 * A workspace of its own per test, built through the write tools:
 * /Policies{Cancellation, Refunds, Pets, Archive/{Old terms}} and /FAQ{Check-in}.
 */
async function seed() {
  const ws = await createWorkspace(t.store, `kb-${++counter}`);
  const ctx = testContext(t.store, credentialFor([ws]));
  const make = async (title: string, kind: 'folder' | 'article', parent?: string, body?: string) =>
    (
      await callOk<Node>(
        createKnowledgeNode,
        { workspace_id: ws.id, title, kind, ...(parent ? { parent_id: parent } : {}), ...(body ? { body } : {}) },
        ctx,
      )
    ).id;
  const policies = await make('Policies', 'folder');
  const cancellation = await make('Cancellation', 'article', policies, CANCELLATION);
  const refunds = await make('Refunds', 'article', policies, REFUNDS);
  const pets = await make('Pets', 'article', policies, PETS);
  const archive = await make('Archive', 'folder', policies);
  const oldTerms = await make('Old terms', 'article', archive, 'Until 2024 guests could cancel up to 24 hours before arrival.');
  const faq = await make('FAQ', 'folder');
  const checkIn = await make('Check-in', 'article', faq, CHECK_IN);
  return { ws, ctx, ids: { policies, cancellation, refunds, pets, archive, oldTerms, faq, checkIn } };
}

async function countRows(workspaceId: string): Promise<{ nodes: number; chunks: number }> {
  const nodes = await t.store.db.selectFrom('knowledge_nodes').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  const chunks = await t.store.db.selectFrom('knowledge_chunks').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  return { nodes: Number(nodes.n), chunks: Number(chunks.n) };
}

beforeAll(async () => {
  t = await createTestStore();
});
afterAll(() => t.cleanup());

describe('search_knowledge', () => {
  it('ranks the passage that matches the question best first, with title and path to cite', async () => {
    const { ws, ctx, ids } = await seed();
    const result = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: 'refund for early checkout?' }, ctx);
    expect(result.data.length).toBeGreaterThan(0);
    expect(result.data[0]).toMatchObject({ node_id: ids.refunds, node_title: 'Refunds', node_path: '/Policies/Refunds', relevance_score: 1 });
    expect(result.data[0]!.chunk_text).toContain('early checkout');
    const scores = result.data.map((c) => c.relevance_score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('restricts to the given subtrees and refuses nodes that are not in the workspace', async () => {
    const { ws, ctx, ids } = await seed();
    const everywhere = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: '48 hours' }, ctx);
    expect(new Set(everywhere.data.map((c) => c.node_path.split('/')[1]))).toEqual(new Set(['Policies', 'FAQ']));
    const faqOnly = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: '48 hours', node_ids: [ids.faq] }, ctx);
    expect(faqOnly.data.map((c) => c.node_path)).toEqual(['/FAQ/Check-in']);
    const archive = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: 'cancel', node_ids: [ids.archive] }, ctx);
    expect(archive.data.map((c) => c.node_id)).toEqual([ids.oldTerms]);

    const other = await seed();
    const error = await callError(searchKnowledge, { workspace_id: ws.id, query: 'cancel', node_ids: [ids.faq, other.ids.faq] }, ctx);
    expect(error).toMatch(/^not_found: .*kn_/);
    expect(error).toContain(other.ids.faq);
  });

  it('caps the number of passages at max_results', async () => {
    const { ws, ctx } = await seed();
    const result = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: 'cancel refund dogs check', max_results: 2 }, ctx);
    expect(result.data).toHaveLength(2);
  });
});

describe('search_knowledge_nodes', () => {
  it('finds every node mentioning the phrase "48 hours" with title, path and the exact sentence, in one call', async () => {
    const { ws, ctx, ids } = await seed();
    const other = await seed(); // the same text in another workspace must not show up
    const page = await callOk<Page<NodeHit>>(searchKnowledgeNodes, { workspace_id: ws.id, query: '48 hours', match: 'phrase' }, ctx);
    const byId = new Map(page.data.map((hit) => [hit.id, hit]));
    expect([...byId.keys()].sort()).toEqual([ids.cancellation, ids.checkIn].sort());
    expect(page.data.some((hit) => hit.id === other.ids.cancellation)).toBe(false);
    expect(byId.get(ids.cancellation)).toMatchObject({
      title: 'Cancellation',
      path: '/Policies/Cancellation',
      kind: 'article',
      matches: ['Guests may cancel free of charge up to 48 hours before arrival.'],
    });
    // "148 hours" in the same article is not the phrase "48 hours".
    expect(byId.get(ids.checkIn)!.matches).toEqual(['Late arrivals must tell the front desk 48 hours ahead.']);
    expect(page.has_more).toBe(false);
  });

  it('in words mode matches nodes with all the words anywhere and shows sentences with any of them', async () => {
    const { ws, ctx, ids } = await seed();
    const page = await callOk<Page<NodeHit>>(searchKnowledgeNodes, { workspace_id: ws.id, query: '48 hours' }, ctx);
    expect(page.data.map((hit) => hit.id).sort()).toEqual([ids.cancellation, ids.checkIn, ids.pets].sort());
    const pets = page.data.find((hit) => hit.id === ids.pets)!;
    expect(pets.matches).toEqual(['Dogs are welcome for a fee of 48 dollars.', 'Walking hours are 7 to 9 in the morning.']);
  });

  it('includes a matching title, filters by path prefix and pages without repeats', async () => {
    const { ws, ctx, ids } = await seed();
    const titled = await callOk<Page<NodeHit>>(searchKnowledgeNodes, { workspace_id: ws.id, query: 'refunds' }, ctx);
    expect(titled.data[0]).toMatchObject({ id: ids.refunds });
    expect(titled.data[0]!.matches[0]).toBe('Refunds');

    const faq = await callOk<Page<NodeHit>>(searchKnowledgeNodes, { workspace_id: ws.id, query: 'hours', path_prefix: 'FAQ/' }, ctx);
    expect(faq.data.map((hit) => hit.path)).toEqual(['/FAQ/Check-in']);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page: Page<NodeHit> = await callOk(searchKnowledgeNodes, { workspace_id: ws.id, query: 'hours', limit: 1, ...(cursor ? { cursor } : {}) }, ctx);
      seen.push(...page.data.map((hit) => hit.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([ids.cancellation, ids.pets, ids.oldTerms, ids.checkIn].sort());
  });

  it('refuses a query without words', async () => {
    const { ws, ctx } = await seed();
    expect(await callError(searchKnowledgeNodes, { workspace_id: ws.id, query: '?!', match: 'phrase' }, ctx)).toMatch(/^invalid_argument: query/);
  });
});

describe('list_knowledge_nodes and get_knowledge_node', () => {
  it('lists children, subtrees and kinds in path order, without bodies', async () => {
    const { ws, ctx, ids } = await seed();
    const top = await callOk<Page<Record<string, unknown>>>(listKnowledgeNodes, { workspace_id: ws.id, parent_id: null }, ctx);
    expect(top.data.map((n) => n.path)).toEqual(['/FAQ', '/Policies']);
    expect(top.data[0]).not.toHaveProperty('body');
    const children = await callOk<Page<{ path: string }>>(listKnowledgeNodes, { workspace_id: ws.id, parent_id: ids.policies }, ctx);
    expect(children.data.map((n) => n.path)).toEqual(['/Policies/Archive', '/Policies/Cancellation', '/Policies/Pets', '/Policies/Refunds']);
    const articles = await callOk<Page<{ path: string }>>(listKnowledgeNodes, { workspace_id: ws.id, path_prefix: '/Policies', kind: 'article' }, ctx);
    expect(articles.data.map((n) => n.path)).toEqual([
      '/Policies/Archive/Old terms',
      '/Policies/Cancellation',
      '/Policies/Pets',
      '/Policies/Refunds',
    ]);
  });

  it('gets a node with its body and number of children', async () => {
    const { ws, ctx, ids } = await seed();
    const folder = await callOk<Node>(getKnowledgeNode, { workspace_id: ws.id, node_id: ids.policies }, ctx);
    expect(folder).toMatchObject({ kind: 'folder', body: '', children_count: 4, parent_id: null });
    const article = await callOk<Node>(getKnowledgeNode, { workspace_id: ws.id, node_id: ids.cancellation }, ctx);
    expect(article).toMatchObject({ body: CANCELLATION, parent_id: ids.policies, children_count: 0 });
  });
});

describe('create_knowledge_node', () => {
  it('refuses a taken path (naming the node), an article as parent and a folder with a body', async () => {
    const { ws, ctx, ids } = await seed();
    const conflict = await callError(createKnowledgeNode, { workspace_id: ws.id, title: 'Refunds', kind: 'article', parent_id: ids.policies }, ctx);
    expect(conflict).toMatch(/^conflict: .*\/Policies\/Refunds/);
    expect(conflict).toContain(ids.refunds);
    expect(await callError(createKnowledgeNode, { workspace_id: ws.id, title: 'X', kind: 'article', parent_id: ids.refunds }, ctx)).toMatch(
      /^invalid_argument: parent_id .* is an article/,
    );
    expect(await callError(createKnowledgeNode, { workspace_id: ws.id, title: 'X', kind: 'folder', body: 'text' }, ctx)).toMatch(
      /^invalid_argument: body/,
    );
  });

  it('makes a new article searchable at once', async () => {
    const { ws, ctx, ids } = await seed();
    const created = await callOk<Node>(createKnowledgeNode, { workspace_id: ws.id, title: 'Parking', kind: 'article', parent_id: ids.faq, body: 'Valet parking costs 30 dollars a night.' }, ctx);
    expect(created).toMatchObject({ path: '/FAQ/Parking', parent_id: ids.faq });
    const hits = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: 'valet' }, ctx);
    expect(hits.data.map((c) => c.node_id)).toEqual([created.id]);
  });
});

describe('update_knowledge_node', () => {
  it('moving a folder rewrites the paths of its whole subtree, and search sees them at once', async () => {
    const { ws, ctx, ids } = await seed();
    const handbook = await callOk<Node>(createKnowledgeNode, { workspace_id: ws.id, title: 'Handbook', kind: 'folder' }, ctx);
    const moved = await callOk<Node>(updateKnowledgeNode, { workspace_id: ws.id, node_id: ids.policies, parent_id: handbook.id }, ctx);
    expect(moved).toMatchObject({ path: '/Handbook/Policies', parent_id: handbook.id });

    const old = await callOk<Node>(getKnowledgeNode, { workspace_id: ws.id, node_id: ids.oldTerms }, ctx);
    expect(old.path).toBe('/Handbook/Policies/Archive/Old terms');
    const subtree = await callOk<Page<{ path: string }>>(listKnowledgeNodes, { workspace_id: ws.id, path_prefix: '/Handbook' }, ctx);
    expect(subtree.data.map((n) => n.path)).toEqual([
      '/Handbook',
      '/Handbook/Policies',
      '/Handbook/Policies/Archive',
      '/Handbook/Policies/Archive/Old terms',
      '/Handbook/Policies/Cancellation',
      '/Handbook/Policies/Pets',
      '/Handbook/Policies/Refunds',
    ]);
    const nodes = await callOk<Page<NodeHit>>(searchKnowledgeNodes, { workspace_id: ws.id, query: '48 hours', match: 'phrase', path_prefix: '/Handbook' }, ctx);
    expect(nodes.data.map((hit) => hit.path)).toEqual(['/Handbook/Policies/Cancellation']);
    const chunks = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: 'refund early checkout', max_results: 1 }, ctx);
    expect(chunks.data[0]!.node_path).toBe('/Handbook/Policies/Refunds');

    // Renaming back at the top level rewrites them again.
    await callOk(updateKnowledgeNode, { workspace_id: ws.id, node_id: ids.policies, parent_id: null, title: 'Rules' }, ctx);
    expect((await callOk<Node>(getKnowledgeNode, { workspace_id: ws.id, node_id: ids.oldTerms }, ctx)).path).toBe('/Rules/Archive/Old terms');
    const remaining = await t.store.db.selectFrom('knowledge_nodes').select('path').where('workspace_id', '=', ws.id).where('path', 'like', '/Handbook/%').execute();
    expect(remaining).toEqual([]);
  });

  it('refuses moving a node into itself or its own descendant, and into a taken path', async () => {
    const { ws, ctx, ids } = await seed();
    const before = await t.store.db.selectFrom('knowledge_nodes').select(['id', 'path', 'parent_id']).where('workspace_id', '=', ws.id).orderBy('id').execute();
    expect(await callError(updateKnowledgeNode, { workspace_id: ws.id, node_id: ids.policies, parent_id: ids.archive }, ctx)).toMatch(
      /^invalid_argument: parent_id: cannot move "\/Policies" into itself/,
    );
    expect(await callError(updateKnowledgeNode, { workspace_id: ws.id, node_id: ids.policies, parent_id: ids.policies }, ctx)).toMatch(/^invalid_argument/);
    expect(await callError(updateKnowledgeNode, { workspace_id: ws.id, node_id: ids.refunds, title: 'Pets' }, ctx)).toMatch(/^conflict: .*\/Policies\/Pets/);
    const after = await t.store.db.selectFrom('knowledge_nodes').select(['id', 'path', 'parent_id']).where('workspace_id', '=', ws.id).orderBy('id').execute();
    expect(after).toEqual(before);
  });

  it('rebuilds the chunks when the body changes', async () => {
    const { ws, ctx, ids } = await seed();
    await callOk(updateKnowledgeNode, { workspace_id: ws.id, node_id: ids.cancellation, body: 'Guests may cancel up to 72 hours before arrival.' }, ctx);
    const phrase = (q: string) => callOk<Page<NodeHit>>(searchKnowledgeNodes, { workspace_id: ws.id, query: q, match: 'phrase', path_prefix: '/Policies' }, ctx);
    expect((await phrase('48 hours')).data).toEqual([]);
    expect((await phrase('72 hours')).data.map((h) => h.matches)).toEqual([['Guests may cancel up to 72 hours before arrival.']]);
    const chunks = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: 'no-shows' }, ctx);
    expect(chunks.data).toEqual([]);
  });
});

describe('delete_knowledge_node', () => {
  it('refuses a folder with children without recursive, deleting nothing', async () => {
    const { ws, ctx, ids } = await seed();
    const before = await countRows(ws.id);
    const error = await callError(deleteKnowledgeNode, { workspace_id: ws.id, node_id: ids.policies }, ctx);
    expect(error).toMatch(/^invalid_argument: folder "\/Policies" has 4 child nodes; pass recursive: true/);
    expect(await countRows(ws.id)).toEqual(before);
  });

  it('deletes a folder, its descendants and all their chunks with recursive: true', async () => {
    const { ws, ctx, ids } = await seed();
    const result = await callOk(deleteKnowledgeNode, { workspace_id: ws.id, node_id: ids.policies, recursive: true }, ctx);
    expect(result).toEqual({ id: ids.policies, path: '/Policies', deleted: true, deleted_count: 6 });
    expect(await countRows(ws.id)).toEqual({ nodes: 2, chunks: 1 });
    const hits = await callOk<{ data: Chunk[] }>(searchKnowledge, { workspace_id: ws.id, query: 'cancel refund dogs' }, ctx);
    expect(hits.data).toEqual([]);
    expect(await callError(getKnowledgeNode, { workspace_id: ws.id, node_id: ids.oldTerms }, ctx)).toMatch(/^not_found/);
  });

  it('deletes an article without recursive', async () => {
    const { ws, ctx, ids } = await seed();
    await callOk(deleteKnowledgeNode, { workspace_id: ws.id, node_id: ids.checkIn }, ctx);
    expect((await callOk<Node>(getKnowledgeNode, { workspace_id: ws.id, node_id: ids.faq }, ctx)).children_count).toBe(0);
  });
});
