import type { ConversationStatus } from '../store/schema.js';
import { DAY, MINUTE } from './clock.js';
import { agentFor, rngFor, staffByKey, type WorkspaceSeed } from './context.js';
import { updateContactActivity } from './contacts.js';
import { channelsOf, contactAt } from './people.js';
import type { Rng } from './random.js';
import { personVars, scriptVars, type ScriptPlan } from './scripted.js';
import { fill } from './text.js';
import { sceneThread, writeConversation, type Draft, type Responders } from './threads.js';

/**
 * The scripted scenes and `base × scale` generated conversations, written in the order of their
 * last message, then the contacts' activity columns.
 *
 * Written in that order, a message's `seq` (and so its full-text rowid) grows with its time up to
 * the length of one conversation, as it does when messages arrive one by one in production: a
 * search over a recent time window reads a narrow, recent range of the index instead of rows
 * spread over the whole history (see store/message-time-buckets.ts). Each conversation's age
 * comes from a stream of its own, so the order is known before any conversation is generated.
 */
export async function seedConversations(ws: WorkspaceSeed, plan: ScriptPlan): Promise<void> {
  const scripted = plan.conversations.length;
  const count = ws.profile.base.conversations * ws.run.scale;
  const ends = new Float64Array(scripted + count);
  plan.conversations.forEach((entry, k) => (ends[k] = ws.run.clock.nowMs - entry.script.endsMinutesAgo * MINUTE));
  const historyDays = Math.min(ws.profile.historyDays, 180);
  for (let i = 0; i < count; i++) ends[scripted + i] = ws.run.clock.nowMs - conversationAge(rngFor(ws, 'conversation-age', i), historyDays);
  const order = new Uint32Array(ends.length).map((_, j) => j);
  order.sort((a, b) => (ends[a] as number) - (ends[b] as number) || a - b);
  for (const [done, j] of order.entries()) {
    if (j < scripted) await seedScriptedConversation(ws, plan, j);
    else await seedGeneratedConversation(ws, j - scripted, ends[j] as number);
    ws.run.progress(ws, 'conversations', done + 1, order.length);
  }
  await updateContactActivity(ws);
}

async function seedScriptedConversation(ws: WorkspaceSeed, plan: ScriptPlan, k: number): Promise<void> {
  const entry = plan.conversations[k];
  if (!entry) throw new Error(`no scripted conversation #${k}`);
  const rng = rngFor(ws, 'scripted-conversation', k);
  const { script, contact } = entry;
  const staff = staffByKey(ws, script.staff);
  const agent = agentFor(ws, script.channel) ?? ws.agents[0];
  const vars = scriptVars(ws, rng, plan, contact, entry.guest);
  const drafts = script.messages.map((m): Draft => {
    const base = { body: fill(m.text, { ...vars, staff: staff.first }), gapMs: m.after * MINUTE };
    if (m.from === 'contact') return { ...base, from: 'contact', authorId: null, authorName: contact.name };
    if (m.from === 'staff') return { ...base, from: 'user', authorId: staff.id, authorName: staff.name };
    if (m.from === 'agent' && agent) return { ...base, from: 'agent', authorId: agent.id, authorName: agent.name };
    return { ...base, from: 'system', authorId: null, authorName: 'Conduit' };
  });
  await writeConversation(ws, rng, {
    id: script.id ?? rng.id('cv'),
    contact,
    channel: script.channel,
    status: script.status,
    subject: script.channel === 'email' && script.subject ? fill(script.subject, vars) : null,
    assigneeId: staff.id,
    endMs: ws.run.clock.nowMs - script.endsMinutesAgo * MINUTE,
    drafts,
  });
}

async function seedGeneratedConversation(ws: WorkspaceSeed, index: number, endMs: number): Promise<void> {
  const { profile, run } = ws;
  const rng = rngFor(ws, 'conversation', index);
  const id = rng.id('cv');
  const contact = contactAt(ws.space, rng.int(0, ws.contactCount - 1));
  const channel = rng.weighted(channelsOf(contact).map((c) => [c, profile.channelWeights[c]] as const));
  const topic = rng.weighted(profile.topics.map((t) => [t, t.weight] as const));
  const scene = rng.pick(topic.scenes);
  const count = rng.int(2, 12);
  const staff = rng.pick(ws.staff);
  const agent = agentFor(ws, channel);
  // The AI agent answers unless it is paused for this contact.
  const who: Responders = { staff };
  if (agent && !contact.ai_paused && rng.chance(0.55)) {
    who.agent = agent;
    if (count > 3 && rng.chance(0.4)) who.handoverAt = rng.int(2, count - 1);
  }
  const vars = { ...profile.vars(rng, run.clock), ...personVars(ws, contact) };
  const drafts = sceneThread(rng, scene, profile.smallTalk, count, who, vars);
  const ageMs = run.clock.nowMs - endMs;
  const staffAnswered = drafts.some((d) => d.from === 'user');
  const status = conversationStatus(rng, ageMs);
  await writeConversation(ws, rng, {
    id,
    contact,
    channel,
    status,
    subject: channel === 'email' ? fill(scene.subject, vars) : null,
    assigneeId: staffAnswered || (status === 'open' && rng.chance(0.3)) ? staff.id : null,
    endMs,
    drafts,
  });
}

/** How long ago a conversation's last message was: some today, more this week, most older. */
function conversationAge(rng: Rng, historyDays: number): number {
  const bucket = rng.weighted([['day', 12], ['week', 20], ['older', 68]] as const);
  if (bucket === 'day') return rng.int(2 * MINUTE, DAY);
  if (bucket === 'week') return rng.int(DAY, 7 * DAY);
  return rng.int(7 * DAY, historyDays * DAY);
}

function conversationStatus(rng: Rng, ageMs: number): ConversationStatus {
  return ageMs < 3 * DAY
    ? rng.weighted<ConversationStatus>([['open', 60], ['snoozed', 15], ['closed', 25]])
    : rng.weighted<ConversationStatus>([['closed', 85], ['open', 8], ['snoozed', 7]]);
}
