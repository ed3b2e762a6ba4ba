import { previewOf } from '../messaging/delivery.js';
import type { Channel, ConversationStatus, MessageStatus } from '../store/schema.js';
import { MINUTE } from './clock.js';
import type { Person, WorkspaceSeed } from './context.js';
import type { DemoContact } from './people.js';
import type { Topic } from './profile.js';
import type { Rng } from './random.js';
import { fill } from './text.js';

export type DraftAuthor = 'contact' | 'user' | 'agent' | 'system';

/** A message before it has a time: who wrote it, and how long after the previous one. */
export interface Draft {
  from: DraftAuthor;
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
  /** Index of the message where the agent hands over (a system message), if it does. */
  handoverAt?: number;
}

/** Skewed towards the low end: most replies come quickly, a few take long. */
function skewed(rng: Rng, minMs: number, maxMs: number): number {
  const r = rng.next();
  return Math.round(minMs + r * r * (maxMs - minMs));
}

/** Cycles through a shuffled copy of the lines, so a thread does not repeat itself early. */
function deck(rng: Rng, lines: readonly string[]): () => string {
  const order = rng.sample(lines, lines.length);
  let next = 0;
  return () => order[next++ % order.length] as string;
}

/** A generated thread of `count` messages on a topic, opening with the contact. */
export function topicThread(rng: Rng, topic: Topic, count: number, who: Responders, vars: Record<string, string>): Draft[] {
  const replies = deck(rng, topic.replies);
  const followUps = deck(rng, topic.followUps);
  const contactName = vars.name ?? '';
  const drafts: Draft[] = [{ from: 'contact', authorId: null, authorName: contactName, body: fill(rng.pick(topic.openers), vars), gapMs: 0 }];
  let agentActive = who.agent !== undefined;
  for (let k = 1; k < count; k++) {
    const previous = drafts[k - 1] as Draft;
    if (agentActive && who.agent && k === who.handoverAt) {
      agentActive = false;
      drafts.push({
        from: 'system',
        authorId: null,
        authorName: 'Conduit',
        body: `Conversation handed over to ${who.staff.name} by ${who.agent.name}.`,
        gapMs: MINUTE,
      });
      continue;
    }
    const contactSpoke = previous.from === 'contact';
    const outbound = contactSpoke ? rng.chance(0.85) : previous.from === 'system' || !rng.chance(0.75);
    if (outbound) {
      const responder = agentActive && who.agent ? { from: 'agent' as const, ...who.agent } : { from: 'user' as const, ...who.staff };
      const gapMs = !contactSpoke
        ? skewed(rng, MINUTE, 15 * MINUTE)
        : responder.from === 'agent'
          ? rng.int(8, 60) * 1000
          : skewed(rng, 2 * MINUTE, 300 * MINUTE);
      const body = fill(replies(), { ...vars, staff: responder.from === 'agent' ? responder.name : who.staff.first });
      drafts.push({ from: responder.from, authorId: responder.id, authorName: responder.name, body, gapMs });
    } else {
      const last = k === count - 1 && !contactSpoke && topic.closers.length > 0 && rng.chance(0.6);
      const body = fill(last ? rng.pick(topic.closers) : followUps(), { ...vars, staff: who.staff.first });
      const gapMs = contactSpoke ? skewed(rng, MINUTE, 10 * MINUTE) : skewed(rng, 4 * MINUTE, 30 * 60 * MINUTE);
      drafts.push({ from: 'contact', authorId: null, authorName: contactName, body, gapMs });
    }
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

/** Writes a conversation and its messages, with the summary columns matching the messages. */
export async function writeConversation(ws: WorkspaceSeed, rng: Rng, plan: ConversationPlan): Promise<void> {
  const { out, clock } = ws.run;
  const times = timesOf(plan.drafts, plan.endMs);
  const sender = ws.senders.get(plan.channel);
  const last = plan.drafts[plan.drafts.length - 1] as Draft;
  await out.add('conversations', {
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
  });
  for (const [i, draft] of plan.drafts.entries()) {
    const atMs = times[i] as number;
    const inbound = draft.from === 'contact';
    const delivered = draft.from === 'user' || draft.from === 'agent';
    await out.add('messages', {
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
    });
  }
}
