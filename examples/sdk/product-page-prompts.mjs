#!/usr/bin/env node
// The product page's four example prompts, done as plain MCP tool calls with the official SDK:
// what a model would call to answer them, without the model.
//
//   npm i @modelcontextprotocol/sdk
//   CONDUIT_API_TOKEN=capi_… node product-page-prompts.mjs
//
// Environment:
//   CONDUIT_MCP_URL    MCP endpoint (default http://127.0.0.1:8787/v1/mcp, the local demo server)
//   CONDUIT_API_TOKEN  a capi_ API token (a read_only one is enough: this script never writes)
//   CONDUIT_WORKSPACE  workspace slug or id (default acme-hotels)
//
// Exit status: 0 when every call succeeded, 1 on any tool or connection error, 2 on bad usage.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const HOUR_MS = 3600 * 1000;
const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2, low: 3 };

function section(title) {
  console.log(`\n=== ${title} ===`);
}

/** First line of a message body, shortened, so a transcript stays one line per message. */
function oneLine(text, max = 110) {
  const line = (text ?? '').split('\n').map((part) => part.trim()).filter(Boolean).join(' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function authorOf(message) {
  return message.author.name ? `${message.author.type}: ${message.author.name}` : message.author.type;
}

/**
 * Tool calls restricted to tools the server annotates readOnlyHint: the product page's "don't send
 * it" safety belt, enforced by the client instead of left to good intentions.
 */
async function readOnlyCaller(client) {
  const readOnly = new Set();
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    for (const tool of page.tools) if (tool.annotations?.readOnlyHint === true) readOnly.add(tool.name);
    cursor = page.nextCursor;
  } while (cursor);

  async function call(name, args) {
    if (!readOnly.has(name)) throw new Error(`refusing to call ${name}: this script only calls tools annotated readOnlyHint`);
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) throw new Error(`${name} failed: ${result.content?.[0]?.text ?? 'no error text'}`);
    return result.structuredContent;
  }

  /** Every page of a paginated list or search. */
  async function collect(name, args) {
    const items = [];
    let next = null;
    do {
      const page = await call(name, { ...args, limit: 100, ...(next ? { cursor: next } : {}) });
      items.push(...page.data);
      next = page.has_more ? page.next_cursor : null;
    } while (next);
    return items;
  }

  return { call, collect };
}

/** "Use list_workspaces and operate on the acme-hotels workspace": resolve the pin once, up front. */
async function pinWorkspace({ call }, wanted) {
  const { data } = await call('list_workspaces', {});
  const workspace = data.find((w) => w.slug === wanted || w.id === wanted);
  if (!workspace) throw new Error(`workspace "${wanted}" is not reachable with this token (available: ${data.map((w) => w.slug).join(', ') || 'none'})`);
  console.log(`Workspace: ${workspace.name} (${workspace.slug}, ${workspace.id})`);
  return workspace.id;
}

// "List every open helpdesk ticket touched in the last 24 hours, group them by inferred topic, and
// tell me the three most urgent ones with the customer name and a one-line summary."
async function openTicketsLastDay({ call, collect }, workspaceId) {
  section('1. Open tickets touched in the last 24 hours, by topic, and the three most urgent');
  const since = new Date(Date.now() - 24 * HOUR_MS).toISOString();
  const tickets = await collect('list_tickets', { workspace_id: workspaceId, status: 'open', updated_after: since });
  console.log(`${tickets.length} open tickets updated since ${since}`);

  // A ticket's first tag is its topic: the tags are the helpdesk's own classification.
  const byTopic = new Map();
  for (const ticket of tickets) {
    const topic = ticket.tags[0] ?? 'untagged';
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), ticket]);
  }
  for (const [topic, group] of [...byTopic].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))) {
    console.log(`\n  [${topic}] ${group.length}`);
    for (const ticket of group) console.log(`    ${ticket.id}  ${ticket.priority.padEnd(6)}  ${oneLine(ticket.subject, 80)}`);
  }

  // Most urgent: highest priority, then the ones waiting on the team, then the longest waiting.
  const urgent = [...tickets]
    .sort(
      (a, b) =>
        PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
        Number(b.waiting_on === 'team') - Number(a.waiting_on === 'team') ||
        a.updated_at.localeCompare(b.updated_at),
    )
    .slice(0, 3);
  console.log('\nMost urgent:');
  for (const [index, { id }] of urgent.entries()) {
    const ticket = await call('get_ticket', { workspace_id: workspaceId, ticket_id: id });
    const latest = await call('list_ticket_messages', { workspace_id: workspaceId, ticket_id: id, limit: 1 });
    console.log(`  ${index + 1}. [${ticket.priority}] ${ticket.subject} (${ticket.id})`);
    console.log(`     customer: ${ticket.contact_name ?? 'unknown'}; waiting on: ${ticket.waiting_on}; updated ${ticket.updated_at}`);
    console.log(`     summary: ${oneLine(ticket.summary ?? ticket.subject)}`);
    const last = latest.data[0];
    if (last) console.log(`     latest ${last.internal ? 'note' : 'message'} (${authorOf(last)}, ${last.created_at}): ${oneLine(last.body, 90)}`);
  }
}

// "Search for any conversation where the contact mentioned 'double charge' in the last week. Pull
// the full message thread for the most recent one and show me the timestamps."
async function doubleChargeLastWeek({ collect }, workspaceId) {
  section('2. Conversations mentioning "double charge" in the last week');
  const since = new Date(Date.now() - 7 * 24 * HOUR_MS).toISOString();
  const hits = await collect('search_conversations', { workspace_id: workspaceId, query: '"double charge"', created_after: since });
  console.log(`${hits.length} conversations with a matching message since ${since}`);
  if (hits.length === 0) return;

  const newestMatch = (hit) => hit.matches.reduce((latest, match) => (match.created_at > latest ? match.created_at : latest), '');
  for (const hit of hits) {
    console.log(`  ${hit.id}  ${hit.channel.padEnd(8)}  ${newestMatch(hit)}  ${hit.contact_name ?? 'unknown'}: ${oneLine(hit.matches[0]?.snippet, 80)}`);
  }
  const mostRecent = hits.reduce((best, hit) => (newestMatch(hit) > newestMatch(best) ? hit : best));
  const thread = await collect('list_conversation_messages', { workspace_id: workspaceId, conversation_id: mostRecent.id, order: 'asc' });
  console.log(`\nFull thread of the most recent one, ${mostRecent.id} (${mostRecent.channel}, ${mostRecent.contact_name ?? 'unknown'}), ${thread.length} messages:`);
  for (const message of thread) console.log(`  ${message.created_at}  ${authorOf(message).padEnd(24)}  ${oneLine(message.body, 80)}`);
}

// "Pull conversation cv_abc. Read the last twenty messages. Draft a reply that addresses the refund
// question, matches the tone of our previous responses, and cites our refund policy from the
// knowledge base. Don't send it — just print it."
async function refundReplyContext({ call }, workspaceId) {
  const conversationId = 'cv_abc';
  section(`3. Conversation ${conversationId}: the last twenty messages and the refund policy (nothing is sent)`);
  const conversation = await call('get_conversation', { workspace_id: workspaceId, conversation_id: conversationId });
  const page = await call('list_conversation_messages', { workspace_id: workspaceId, conversation_id: conversationId, order: 'desc', limit: 20 });
  const messages = [...page.data].reverse();
  console.log(`${conversation.contact_name ?? 'unknown contact'} on ${conversation.channel}, ${conversation.message_count} messages; the last ${messages.length}:`);
  for (const message of messages) console.log(`  ${message.created_at}  ${authorOf(message).padEnd(24)}  ${oneLine(message.body, 80)}`);

  const policy = await call('search_knowledge', { workspace_id: workspaceId, query: 'refund policy unused nights early departure', max_results: 2 });

  // What a model needs to write the reply: the open question, our voice, and the policy to cite.
  const lastReply = messages.findLastIndex((m) => m.direction === 'outbound' && m.author.type === 'user');
  const question = messages.slice(lastReply + 1).filter((m) => m.direction === 'inbound');
  const tone = messages.filter((m) => m.direction === 'outbound' && m.author.type === 'user').slice(-3);
  console.log('\nDraft-reply context (printed only; this script calls read-only tools and sends nothing):');
  console.log(`  Reply to: ${conversation.contact_name ?? 'the contact'} on ${conversation.channel}`);
  console.log('  The question to answer:');
  for (const m of question) console.log(`    ${m.created_at}  "${oneLine(m.body, 100)}"`);
  console.log('  Our previous replies (match this tone):');
  for (const m of tone) console.log(`    ${m.author.name ?? 'staff'}: "${oneLine(m.body, 100)}"`);
  console.log('  Refund policy to cite (the best knowledge base passages, in full):');
  for (const hit of policy.data) {
    console.log(`    ${hit.node_title} (${hit.node_path}), relevance ${hit.relevance_score.toFixed(2)}:`);
    for (const line of hit.chunk_text.split('\n').filter((l) => l.trim())) console.log(`      | ${line}`);
  }
}

// "Search the knowledge base for any node that mentions our old cancellation policy ('48 hours').
// For each match, show me the node title, the path, and the sentence that contains the phrase."
async function fortyEightHours({ collect }, workspaceId) {
  section('4. Knowledge nodes mentioning "48 hours"');
  const nodes = await collect('search_knowledge_nodes', { workspace_id: workspaceId, query: '48 hours', match: 'phrase' });
  console.log(`${nodes.length} nodes`);
  for (const node of nodes) {
    console.log(`  ${node.title}  (${node.path})`);
    for (const sentence of node.matches.filter((s) => /48 hours/i.test(s))) console.log(`    "${oneLine(sentence, 200)}"`);
  }
}

async function main() {
  const url = new URL(process.env.CONDUIT_MCP_URL || 'http://127.0.0.1:8787/v1/mcp');
  const token = process.env.CONDUIT_API_TOKEN;
  if (!token) {
    console.error('Set CONDUIT_API_TOKEN to a capi_ API token (`conduit-mcp-server serve --demo` prints one).');
    return 2;
  }
  const client = new Client({ name: 'conduit-product-page-prompts', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    console.log(`Connected to ${url.href}`);
    const tools = await readOnlyCaller(client);
    const workspaceId = await pinWorkspace(tools, process.env.CONDUIT_WORKSPACE || 'acme-hotels');
    await openTicketsLastDay(tools, workspaceId);
    await doubleChargeLastWeek(tools, workspaceId);
    await refundReplyContext(tools, workspaceId);
    await fortyEightHours(tools, workspaceId);
    return 0;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`product-page-prompts: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
