import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { seedDemo } from '../src/demo/seed.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, type TestStore } from './helpers.js';

// Property tests of the search tools against a granted workspace full of real data, so every
// query reaches the dialect's full-text engine (FTS5 on SQLite, tsquery on PostgreSQL; the
// suite runs on both). fuzz-http.test.ts sends arbitrary arguments mostly to workspaces that
// are refused before any search runs. Whatever the query, the answer is a page of results or
// an invalid_argument tool error: never a JSON-RPC internal error, never a 5xx.

let t: TestStore;
let server: ConduitServer;
let token: string;

beforeAll(async () => {
  t = await createTestStore();
  const demo = await seedDemo(t.store);
  token = (await createApiToken(t.store, { name: 'fuzz', access: 'read_only', workspaceIds: demo.workspaces.map((w) => w.id), expiresAt: null })).token;
  server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, rateLimit: false });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await t?.cleanup();
});

interface Answer {
  status: number;
  body: { error?: { code: number; message: string }; result?: { isError?: boolean; structuredContent?: { data?: unknown[] }; _meta?: Record<string, { code?: string }> } };
}

async function search(name: string, args: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { workspace_id: 'acme-hotels', ...args } } }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** A page of results, or a tool error that says what was wrong with the arguments. */
function expectPageOrInvalid(answer: Answer, what: string, codes = ['invalid_argument']): void {
  expect(answer.status, what).toBe(200);
  expect(answer.body.error, what).toBeUndefined();
  const result = answer.body.result!;
  if (result.isError) expect(codes, what).toContain(result._meta?.['conduit/error']?.code);
  else expect(Array.isArray(result.structuredContent?.data), what).toBe(true);
}

/** Pieces of every query language a user or a model might type, or an attacker might try. */
const TOKENS = [
  '"', "'", '*', '^', ':', '-', '+', '(', ')', '{', '}', '[', ']', '&', '|', '!', '<->', ':*', '\\', '%', '_', ';', '--', '/*',
  'AND', 'OR', 'NOT', 'NEAR', 'NEAR/2', 'NEAR(a b, 3)', 'body:', 'title:', 'subject:', '{body title}:', 'ROWID', 'rank',
  'refund', 'double charge', '48 hours', 'check-in', 'e-mail', "O'Brien", 'naïve', 'İstanbul', 'ß', '東京', '🛎️', '👨‍👩‍👧',
  '\u0000', '\u202e', '\ufeff', '\ud800', ' ', '\t', '\n',
  "' OR 1=1 --", '"; DROP TABLE messages; --', "') UNION SELECT token_hash FROM api_tokens --", 'x\') AND 1=0 --',
];
const query = fc.oneof(
  fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 12 }).chain((parts) => fc.constantFrom(parts.join(' '), parts.join(''))),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 120 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
);

const SEARCHES: Array<[string, Record<string, unknown>]> = [
  ['search_conversations', {}],
  ['search_tickets', {}],
  ['search_contacts', {}],
  ['search_contacts', { field: 'phone' }],
  ['search_knowledge', {}],
  ['search_knowledge_nodes', {}],
  ['search_knowledge_nodes', { match: 'phrase' }],
];

// Hundreds of searches through HTTP per property: up to 22 s measured on a busy 2-core machine,
// too close to the 30 s default on a slower one.
describe('fuzzing the search tools on a workspace with data', { timeout: 120_000 }, () => {
  it('answers query syntax of every search language with results or invalid_argument', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEARCHES), query, async ([name, extra], q) => {
        expectPageOrInvalid(await search(name, { ...extra, query: q }), `${name} ${JSON.stringify(q)}`);
      }),
      { numRuns: 250 },
    );
  });

  it('still finds what it should: the fuzzing did not just get errors back', async () => {
    const hits = await search('search_conversations', { query: '"double charge"' });
    expect(hits.body.result?.structuredContent?.data?.length).toBeGreaterThan(0);
    const tricky = await search('search_knowledge_nodes', { query: '48 hours', match: 'phrase' });
    expect(tricky.body.result?.structuredContent?.data?.length).toBeGreaterThan(0);
  });

  it('answers huge strings and arrays with invalid_argument or a page, within the body limit', async () => {
    const nodeIds = Array.from({ length: 20_000 }, (_, i) => `kn_${String(i).padStart(16, '0')}`);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['search_conversations', { query: 'refund '.repeat(20_000) }],
      ['search_knowledge', { query: 'x'.repeat(200_000) }],
      ['search_knowledge', { query: 'cancellation', node_ids: nodeIds.slice(0, 50) }],
      ['search_knowledge', { query: 'cancellation', node_ids: nodeIds }],
      ['search_tickets', { query: 'a b c d e f g h i j k l m n o p q r s t u v w x y z '.repeat(1_000) }],
      ['search_contacts', { query: '+1 (555) '.repeat(5_000), field: 'phone' }],
      ['search_conversations', { query: 'refund', limit: 1e12 }],
      ['search_conversations', { query: 'refund', cursor: 'c'.repeat(1_024) }],
      ['search_conversations', { query: ['refund', 'booking'] }],
      ['search_conversations', { query: { $ne: null } }],
      // PostgreSQL text cannot hold NUL: refused on both dialects rather than failing inside the query.
      ['search_contacts', { query: '\u0000 "' }],
      ['search_knowledge_nodes', { query: 'refund', path_prefix: '/Policies\u0000' }],
    ];
    // Node ids that do not exist are not_found, like any other unknown id.
    for (const [name, args] of cases) expectPageOrInvalid(await search(name, args), `${name} ${JSON.stringify(args).slice(0, 80)}`, ['invalid_argument', 'not_found']);
  });
});
