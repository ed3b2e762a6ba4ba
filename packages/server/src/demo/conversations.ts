import type { ConversationStatus } from '../store/schema.js';
import { DAY, MINUTE } from './clock.js';
import { agentFor, rngFor, staffByKey, type WorkspaceSeed } from './context.js';
import { updateContactActivity } from './contacts.js';
import { channelsOf, contactAt } from './people.js';
import type { Rng } from './random.js';
import { personVars, scriptVars, type ScriptPlan } from './scripted.js';
import { fill } from './text.js';
import { conversationRows, sceneThread, timesOf, type ConversationPlan, type Draft, type Responders } from './threads.js';
import { TimeOrderedRows } from './time-order.js';

/**
 * The scripted scenes and `base × scale` generated conversations, their messages written in the
 * order they were sent, then the contacts' activity columns.
 *
 * In production a message's `seq` (its full-text rowid) follows its time, because messages are
 * written as they happen; the demo data is written the same way, so a search over a time window
 * reads a narrow, recent range of the index here too (store/search-window.ts). Every
 * conversation is generated twice from its own random stream: first only to learn when it
 * starts, then, in order of start, to write it. A conversation's row is written with its first
 * message, and the messages of the conversations under way wait in a heap ordered by time.
 */
export async function seedConversations(ws: WorkspaceSeed, plan: ScriptPlan): Promise<void> {
  const scripted = plan.conversations.length;
  const total = scripted + ws.profile.base.conversations * ws.run.scale;
  const generate = (j: number): Generated => (j < scripted ? scriptedConversation(ws, plan, j) : generatedConversation(ws, j - scripted));
  const starts = new Float64Array(total);
  for (let j = 0; j < total; j++) {
    const { plan: conversation } = generate(j);
    starts[j] = timesOf(conversation.drafts, conversation.endMs)[0] as number;
    ws.run.progress(ws, 'conversations', j + 1, 2 * total);
  }
  const order = new Uint32Array(total).map((_, j) => j);
  order.sort((a, b) => (starts[a] as number) - (starts[b] as number) || a - b);
  const pending = new TimeOrderedRows();
  for (const [done, j] of order.entries()) {
    for (const row of pending.takeUntil(starts[j] as number)) await ws.run.out.add('messages', row);
    const { rng, plan: conversation } = generate(j);
    const rows = conversationRows(ws, rng, conversation);
    await ws.run.out.add('conversations', rows.conversation);
    pending.add(rows.messages);
    ws.run.progress(ws, 'conversations', total + done + 1, 2 * total);
  }
  for (const row of pending.takeUntil(Number.POSITIVE_INFINITY)) await ws.run.out.add('messages', row);
  await updateContactActivity(ws);
}

interface Generated {
  rng: Rng;
  plan: ConversationPlan;
}

function scriptedConversation(ws: WorkspaceSeed, plan: ScriptPlan, k: number): Generated {
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
  return {
    rng,
    plan: {
      id: script.id ?? rng.id('cv'),
      contact,
      channel: script.channel,
      status: script.status,
      subject: script.channel === 'email' && script.subject ? fill(script.subject, vars) : null,
      assigneeId: staff.id,
      endMs: ws.run.clock.nowMs - script.endsMinutesAgo * MINUTE,
      drafts,
    },
  };
}

function generatedConversation(ws: WorkspaceSeed, index: number): Generated {
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
  const ageMs = conversationAge(rng, Math.min(profile.historyDays, 180));
  const staffAnswered = drafts.some((d) => d.from === 'user');
  const status = conversationStatus(rng, ageMs);
  return {
    rng,
    plan: {
      id,
      contact,
      channel,
      status,
      subject: channel === 'email' ? fill(scene.subject, vars) : null,
      assigneeId: staffAnswered || (status === 'open' && rng.chance(0.3)) ? staff.id : null,
      endMs: run.clock.nowMs - ageMs,
      drafts,
    },
  };
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
