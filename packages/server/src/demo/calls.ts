import type { CallStatus, Direction } from '../store/schema.js';
import { DAY, MINUTE } from './clock.js';
import { agentFor, rngFor, type WorkspaceSeed } from './context.js';
import { contactAt } from './people.js';
import { personVars } from './scripted.js';
import { fill } from './text.js';

interface Turn {
  speaker: 'contact' | 'agent' | 'user';
  name: string;
  text: string;
  at_seconds: number;
}

/** `base × scale` calls over the last 90 days, with transcripts for the answered ones. */
export async function seedCalls(ws: WorkspaceSeed): Promise<void> {
  const { profile, run } = ws;
  const line = ws.senders.get('voice')?.address;
  if (!line) throw new Error(`demo workspace ${profile.slug} needs a default voice sender for its calls`);
  const voiceAgent = agentFor(ws, 'voice');
  const count = profile.base.calls * run.scale;
  for (let i = 0; i < count; i++) {
    const rng = rngFor(ws, 'call', i);
    const id = rng.id('cl');
    const candidate = contactAt(ws.space, rng.int(0, ws.contactCount - 1));
    // Callers without a number on file are unknown callers: the call is not linked to a contact.
    const contact = candidate.e164 ? candidate : null;
    const theirNumber = contact?.e164 ?? `+1202555${String(200 + rng.int(0, 799)).padStart(4, '0')}`;
    const direction: Direction = rng.chance(0.7) ? 'inbound' : 'outbound';
    const status = rng.weighted<CallStatus>([['completed', 60], ['missed', 15], ['voicemail', 15], ['failed', 10]]);
    const script = rng.weighted(profile.calls.map((c) => [c, c.weight] as const));
    const staff = rng.pick(ws.staff);
    // Some inbound calls were taken by the voice agent (it has answered after hours before), most by the team.
    const answeredByAgent = direction === 'inbound' && voiceAgent !== undefined && rng.chance(0.3);
    const answerer = answeredByAgent && voiceAgent
      ? { speaker: 'agent' as const, name: voiceAgent.name }
      : { speaker: 'user' as const, name: staff.name };
    const callerName = contact?.name ?? 'Unknown caller';
    const vars = { ...profile.vars(rng, run.clock), ...(contact ? personVars(ws, contact) : { first: 'there', name: callerName, brand: profile.name }) };

    const startedMs = run.clock.nowMs - rng.int(10 * MINUTE, 90 * DAY);
    let duration = 0;
    let transcript: Turn[] = [];
    let summary: string | null = null;
    if (status === 'completed') {
      let at = rng.int(1, 4);
      transcript = script.turns.map(([who, text]) => {
        const turn: Turn = who === 'contact'
          ? { speaker: 'contact', name: callerName, text: fill(text, vars), at_seconds: at }
          : { ...answerer, text: fill(text, vars), at_seconds: at };
        at += rng.int(4, 40);
        return turn;
      });
      duration = at + rng.int(5, 60);
      summary = fill(rng.pick(script.summaries), vars);
    } else if (status === 'voicemail' && direction === 'inbound') {
      const message = fill(script.voicemail, vars);
      transcript = [{ speaker: 'contact', name: callerName, text: message, at_seconds: rng.int(6, 12) }];
      duration = rng.int(15, 70);
      summary = `Voicemail from ${callerName}: ${message}`;
    } else if (status === 'voicemail') {
      const message = `Hi ${vars.first}, this is ${staff.first} from ${profile.name}, returning your call. Please call us back at ${line}.`;
      transcript = [{ speaker: 'user', name: staff.name, text: message, at_seconds: rng.int(20, 30) }];
      duration = rng.int(25, 45);
      summary = `Left a voicemail for ${callerName}.`;
    } else if (status === 'missed') {
      summary = direction === 'inbound' ? `Missed call from ${callerName}.` : `No answer from ${callerName}.`;
    }
    // Unanswered calls ring for a while; failed calls never connected, so they have no end.
    const endedMs = status === 'failed' ? null : startedMs + (duration > 0 ? duration : rng.int(15, 35)) * 1000;
    await run.out.add('calls', {
      id,
      workspace_id: ws.id,
      contact_id: contact?.id ?? null,
      direction,
      status,
      from_number: direction === 'inbound' ? theirNumber : line,
      to_number: direction === 'inbound' ? line : theirNumber,
      started_at: run.clock.iso(startedMs),
      ended_at: endedMs === null ? null : run.clock.iso(endedMs),
      duration_seconds: duration,
      summary,
      transcript: JSON.stringify(transcript),
      created_at: run.clock.iso(startedMs),
    });
    run.progress(ws, 'calls', i + 1, count);
  }
}
