import { previewOf } from '../messaging/delivery.js';
import type { Insertable } from 'kysely';
import type { Channel, ConversationStatus, ConversationsTable, MessagesTable, MessageStatus } from '../store/schema.js';
import { HOUR, MINUTE } from './clock.js';
import type { Person, WorkspaceSeed } from './context.js';
import type { DemoContact } from './people.js';
import type { Scene } from './profile.js';
import type { Rng } from './random.js';
import { fill } from './text.js';

/** A message before it has a time: who wrote it, and how long after the previous one. */
export interface Draft {
  from: 'contact' | 'user' | 'agent' | 'system';
  authorId: string | null;
  authorName: string;
  body: string;
  gapMs: number;
  /** Ticket internal note. */
  internal?: boolean;
}

/** Who answers a thread: an AI agent that may hand over to a team member, or a team member. */
export interface Responders {
  staff: Person;
  agent?: { id: string; name: string };
  /** The agent hands over (with a system message) at the first team line from this index on, if set. */
  handoverAt?: number;
}

/** Skewed towards the low end: most replies come quickly, a few take long. */
function skewed(rng: Rng, minMs: number, maxMs: number): number {
  const r = rng.next();
  return Math.round(minMs + r * r * (maxMs - minMs));
}

export type Line = readonly ['contact' | 'team', string];

/**
 * The lines of a thread: the scene in order (contact first, then alternating), lengthened with
 * side questions after the first answer when `count` is longer than the scene, cut when shorter.
 */
export function sceneLines(rng: Rng, scene: Scene, smallTalk: ReadonlyArray<readonly [string, string]>, count: number): Line[] {
  const lines: Line[] = [['contact', rng.pick(scene.openers)], ...scene.turns.map((text, i): Line => [i % 2 === 0 ? 'team' : 'contact', text])];
  const asides = rng.sample(smallTalk, smallTalk.length);
  // Each aside follows an answer from the team, spread out so the main thread stays visible.
  let insertAt = Math.min(2, lines.length);
  while (lines.length < count && asides.length > 0) {
    const [question, answer] = asides.shift() as readonly [string, string];
    lines.splice(insertAt, 0, ['contact', question], ['team', answer]);
    insertAt = Math.min(insertAt + 4, lines.length);
  }
  return lines.slice(0, count);
}

/**
 * A conversation of about `count` messages on a scene. An AI agent, when there is one, answers
 * first and may hand over to the team member midway (a system message says so).
 */
export function sceneThread(
  rng: Rng,
  scene: Scene,
  smallTalk: ReadonlyArray<readonly [string, string]>,
  count: number,
  who: Responders,
  vars: Record<string, string>,
): Draft[] {
  const handover = who.agent !== undefined && who.handoverAt !== undefined;
  const lines = sceneLines(rng, scene, smallTalk, handover ? count - 1 : count);
  const drafts: Draft[] = [];
  let agent = who.agent;
  for (const [i, [speaker, text]] of lines.entries()) {
    if (speaker === 'contact') {
      // The contact answers within minutes while the exchange is live, or comes back hours later.
      const gapMs = i === 0 ? 0 : rng.chance(0.7) ? skewed(rng, MINUTE, 20 * MINUTE) : skewed(rng, HOUR, 30 * HOUR);
      drafts.push({ from: 'contact', authorId: null, authorName: vars.name ?? '', body: fill(text, { ...vars, staff: who.staff.first }), gapMs });
      continue;
    }
    if (agent && who.handoverAt !== undefined && i >= who.handoverAt) {
      drafts.push({ from: 'system', authorId: null, authorName: 'Conduit', body: `Conversation handed over to ${who.staff.name} by ${agent.name}.`, gapMs: MINUTE });
      agent = undefined;
    }
    drafts.push(
      agent
        ? { from: 'agent', authorId: agent.id, authorName: agent.name, body: fill(text, { ...vars, staff: agent.name }), gapMs: rng.int(8, 60) * 1000 }
        : { from: 'user', authorId: who.staff.id, authorName: who.staff.name, body: fill(text, { ...vars, staff: who.staff.first }), gapMs: skewed(rng, 2 * MINUTE, 300 * MINUTE) },
    );
  }
  return drafts;
}

/** Epoch times of the drafts, so that the last one lands at `endMs`. */
export function timesOf(drafts: readonly Draft[], endMs: number): number[] {
  const total = drafts.reduce((sum, d, i) => sum + (i === 0 ? 0 : d.gapMs), 0);
  let at = endMs - total;
  return drafts.map((d, i) => (at += i === 0 ? 0 : d.gapMs));
}

/** Delivery state of an outbound message sent at `atMs`. */
export function outboundStatus(rng: Rng, atMs: number, nowMs: number): MessageStatus {
  if (nowMs - atMs < 2 * MINUTE) return 'sent';
  return rng.weighted<MessageStatus>([['delivered', 87], ['sent', 10], ['failed', 3]]);
}

export interface ConversationPlan {
  id: string;
  contact: DemoContact;
  channel: Channel;
  status: ConversationStatus;
  subject: string | null;
  assigneeId: string | null;
  endMs: number;
  drafts: readonly Draft[];
}

/** A conversation's row and its messages' rows (with their times), the summary columns matching the messages. */
export function conversationRows(
  ws: WorkspaceSeed,
  rng: Rng,
  plan: ConversationPlan,
): { conversation: Insertable<ConversationsTable>; messages: Array<{ atMs: number; row: Insertable<MessagesTable> }> } {
  const { clock } = ws.run;
  const times = timesOf(plan.drafts, plan.endMs);
  const sender = ws.senders.get(plan.channel);
  const last = plan.drafts[plan.drafts.length - 1] as Draft;
  const conversation: Insertable<ConversationsTable> = {
    id: plan.id,
    workspace_id: ws.id,
    contact_id: plan.contact.id,
    channel: plan.channel,
    status: plan.status,
    assignee_id: plan.assigneeId,
    subject: plan.subject,
    message_count: plan.drafts.length,
    last_message_at: clock.iso(plan.endMs),
    last_message_preview: previewOf(last.body),
    created_at: clock.iso(times[0] as number),
    updated_at: clock.iso(plan.endMs),
  };
  const messages = plan.drafts.map((draft, i) => {
    const atMs = times[i] as number;
    const inbound = draft.from === 'contact';
    const delivered = draft.from === 'user' || draft.from === 'agent';
    const row: Insertable<MessagesTable> = {
      id: rng.id('msg'),
      workspace_id: ws.id,
      conversation_id: plan.id,
      direction: inbound ? 'inbound' : 'outbound',
      author_type: draft.from,
      author_id: inbound ? plan.contact.id : draft.authorId,
      author_name: draft.authorName,
      channel: plan.channel,
      body: draft.body,
      subject: plan.subject === null ? null : i === 0 ? plan.subject : `Re: ${plan.subject}`,
      // System notes (hand-overs) are not sent anywhere, so they have no delivery state.
      status: delivered ? outboundStatus(rng, atMs, clock.nowMs) : null,
      sender_id: delivered ? (sender?.id ?? null) : null,
      created_at: clock.iso(atMs),
    };
    return { atMs, row };
  });
  return { conversation, messages };
}
