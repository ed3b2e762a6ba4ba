import type { Priority, TicketStatus, WaitingOn } from '../store/schema.js';
import { DAY, HOUR, MINUTE } from './clock.js';
import { rngFor, staffByKey, type Person, type WorkspaceSeed } from './context.js';
import { contactAt, type DemoContact } from './people.js';
import type { Topic } from './profile.js';
import type { Rng } from './random.js';
import { personVars, scriptVars, type ScriptPlan } from './scripted.js';
import { fill } from './text.js';
import { outboundStatus, sceneLines, timesOf, type Draft, type Line } from './threads.js';

interface TicketPlan {
  id: string;
  contact: DemoContact;
  subject: string;
  summary: string;
  status: TicketStatus;
  waiting_on: WaitingOn;
  priority: Priority;
  tags: readonly string[];
  source: string;
  externalId: string | null;
  assignee: Person | null;
  endMs: number;
  drafts: readonly Draft[];
}

/** Scripted tickets, then `base × scale` generated ones, each with its messages and tag rows. */
export async function seedTickets(ws: WorkspaceSeed, plan: ScriptPlan): Promise<void> {
  for (const [k, entry] of plan.tickets.entries()) {
    const rng = rngFor(ws, 'scripted-ticket', k);
    const { script, contact } = entry;
    const assignee = script.staff ? staffByKey(ws, script.staff) : null;
    const author = assignee ?? (ws.staff[0] as Person);
    const vars = { ...scriptVars(ws, rng, plan, contact, entry.guest), staff: author.first };
    await writeTicket(ws, rng, {
      id: rng.id('tk'),
      contact,
      subject: fill(script.subject, vars),
      summary: fill(script.summary, vars),
      status: script.status,
      waiting_on: script.waiting_on,
      priority: script.priority,
      tags: script.tags,
      source: script.source,
      externalId: null,
      assignee,
      endMs: ws.run.clock.nowMs - script.endsMinutesAgo * MINUTE,
      drafts: script.messages.map((m) => ({
        from: m.from === 'contact' ? 'contact' : 'user',
        authorId: m.from === 'contact' ? contact.id : author.id,
        authorName: m.from === 'contact' ? contact.name : author.name,
        body: fill(m.text, vars),
        gapMs: m.after * MINUTE,
        internal: m.from === 'note',
      })),
    });
  }
  const count = ws.profile.base.tickets * ws.run.scale;
  for (let i = 0; i < count; i++) {
    await seedGeneratedTicket(ws, i);
    ws.run.progress(ws, 'tickets', i + 1, count);
  }
}

const EXTRA_TAGS = ['vip', 'repeat-guest', 'follow-up', 'social-media'];

async function seedGeneratedTicket(ws: WorkspaceSeed, index: number): Promise<void> {
  const { profile, run } = ws;
  const rng = rngFor(ws, 'ticket', index);
  const id = rng.id('tk');
  const contact = contactAt(ws.space, rng.int(0, ws.contactCount - 1));
  const topic = rng.weighted(profile.topics.map((t) => [t, t.weight] as const));
  const scene = rng.pick(topic.scenes);
  const status = rng.weighted<TicketStatus>([['new', 15], ['pending', 25], ['resolved', 30], ['closed', 30]]);
  const open = status === 'new' || status === 'pending';
  const waiting_on: WaitingOn =
    status === 'new' ? 'team' : status === 'pending' ? rng.weighted<WaitingOn>([['customer', 50], ['team', 30], ['third_party', 20]]) : 'none';
  const staff = rng.pick(ws.staff);
  const vars = { ...profile.vars(rng, run.clock), ...personVars(ws, contact), staff: staff.first };
  const tags = rng.sample(topic.tags, rng.int(1, topic.tags.length));
  if (rng.chance(0.15)) tags.push(rng.pick(EXTRA_TAGS));
  const external = rng.chance(0.15);
  const ageMs = open
    ? rng.chance(0.2) ? rng.int(5 * MINUTE, DAY) : rng.int(DAY, 30 * DAY)
    : rng.int(DAY, 120 * DAY);
  await writeTicket(ws, rng, {
    id,
    contact,
    subject: fill(scene.subject, vars),
    summary: fill(scene.summary, vars),
    status,
    waiting_on,
    priority: rng.weighted<Priority>([['low', 20], ['normal', 50], ['high', 22], ['urgent', 8]]),
    tags: [...new Set(tags)],
    source: external ? 'zendesk' : rng.weighted([['email', 40], ['web_form', 20], ['phone', 15], ['whatsapp', 10], ['webchat', 10], ['api', 5]]),
    externalId: external ? `ZD-${100000 + rng.int(0, 899999)}` : null,
    assignee: status === 'new' && rng.chance(0.5) ? null : staff,
    endMs: run.clock.nowMs - ageMs,
    drafts: ticketThread(rng, topic, linesFor(sceneLines(rng, scene, profile.smallTalk, rng.int(2, 8)), status, waiting_on), contact, staff, vars),
  });
}

/**
 * Cuts the exchange where the ticket's state says it stands: a new ticket has no answer yet;
 * waiting on the team, the contact spoke last; waiting on the customer or a third party, the team did.
 */
function linesFor(lines: Line[], status: TicketStatus, waitingOn: WaitingOn): Line[] {
  if (status === 'new') return lines.slice(0, 1);
  const lastSpeaker = waitingOn === 'team' ? 'contact' : waitingOn === 'none' ? null : 'team';
  const cut = [...lines];
  while (lastSpeaker && cut.length > 1 && cut[cut.length - 1]?.[0] !== lastSpeaker) cut.pop();
  return cut;
}

/** The scene's exchange between the contact and the team, with the odd internal note between messages. */
function ticketThread(rng: Rng, topic: Topic, lines: readonly Line[], contact: DemoContact, staff: Person, vars: Record<string, string>): Draft[] {
  const drafts: Draft[] = [];
  const notes = rng.sample(topic.notes, topic.notes.length);
  for (const [i, [speaker, text]] of lines.entries()) {
    const note = i > 0 && rng.chance(0.2) ? notes.shift() : undefined;
    if (note) drafts.push({ from: 'user', authorId: staff.id, authorName: staff.name, body: fill(note, vars), gapMs: rng.int(5, 120) * MINUTE, internal: true });
    drafts.push(
      speaker === 'contact'
        ? { from: 'contact', authorId: contact.id, authorName: contact.name, body: fill(text, vars), gapMs: i === 0 ? 0 : rng.int(1, 48) * HOUR }
        : { from: 'user', authorId: staff.id, authorName: staff.name, body: fill(text, vars), gapMs: rng.int(10, 8 * 60) * MINUTE },
    );
  }
  return drafts;
}

async function writeTicket(ws: WorkspaceSeed, rng: Rng, plan: TicketPlan): Promise<void> {
  const { out, clock } = ws.run;
  const times = timesOf(plan.drafts, plan.endMs);
  await out.add('tickets', {
    id: plan.id,
    workspace_id: ws.id,
    subject: plan.subject,
    summary: plan.summary,
    status: plan.status,
    waiting_on: plan.waiting_on,
    priority: plan.priority,
    tags: JSON.stringify(plan.tags),
    contact_id: plan.contact.id,
    assignee_id: plan.assignee?.id ?? null,
    external_ticket_id: plan.externalId,
    source: plan.source,
    created_at: clock.iso(times[0] as number),
    updated_at: clock.iso(plan.endMs),
  });
  for (const tag of plan.tags) await out.add('ticket_tags', { ticket_id: plan.id, workspace_id: ws.id, tag });
  for (const [i, draft] of plan.drafts.entries()) {
    const atMs = times[i] as number;
    const inbound = draft.from === 'contact';
    await out.add('ticket_messages', {
      id: rng.id('tm'),
      workspace_id: ws.id,
      ticket_id: plan.id,
      direction: inbound ? 'inbound' : 'outbound',
      author_type: draft.from,
      author_id: draft.authorId,
      author_name: draft.authorName,
      body: draft.body,
      internal: draft.internal ? 1 : 0,
      // Internal notes never leave the team, so they have no delivery state.
      status: inbound || draft.internal ? null : outboundStatus(rng, atMs, clock.nowMs),
      created_at: clock.iso(atMs),
    });
  }
}
