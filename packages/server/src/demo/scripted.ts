import type { Channel } from '../store/schema.js';
import { reservationAt, type Guest } from './bookings.js';
import type { WorkspaceSeed } from './context.js';
import { channelsOf, contactAt, type DemoContact } from './people.js';
import type { ScriptedConversation, ScriptedTicket } from './profile.js';
import type { Rng } from './random.js';

export interface ScriptPlan {
  conversations: Array<{ script: ScriptedConversation; contact: DemoContact; guest: number }>;
  tickets: Array<{ script: ScriptedTicket; contact: DemoContact; guest: number }>;
  /** Reservation #i belongs to guests[i]. */
  guests: Guest[];
}

/**
 * Casts the scripted scenes: each gets the first unused, active contact that can be reached on
 * its channel (the same ones for every seed and scale), and a reservation matching its story.
 */
export function planScripts(ws: WorkspaceSeed): ScriptPlan {
  const used = new Set<number>();
  const cast = (channel: Channel | null): DemoContact => {
    for (let i = 0; i < ws.contactCount; i++) {
      if (used.has(i)) continue;
      const contact = contactAt(ws.space, i);
      if (contact.archived || contact.ai_paused || contact.last_name === null) continue;
      if (channel && !channelsOf(contact).includes(channel)) continue;
      used.add(i);
      return contact;
    }
    throw new Error(`demo workspace ${ws.profile.slug} has no contact left to cast on ${channel ?? 'any channel'}`);
  };
  const plan: ScriptPlan = { conversations: [], tickets: [], guests: [] };
  for (const script of ws.profile.scripted.conversations) {
    const contact = cast(script.channel);
    plan.conversations.push({ script, contact, guest: plan.guests.length });
    plan.guests.push({ contact, stay: script.stay });
  }
  for (const script of ws.profile.scripted.tickets) {
    if (script.sameContactAs !== undefined) {
      const shared = plan.conversations[script.sameContactAs];
      if (!shared) throw new Error(`demo ticket "${script.subject}" refers to scripted conversation #${script.sameContactAs}, which does not exist`);
      plan.tickets.push({ script, contact: shared.contact, guest: shared.guest });
      continue;
    }
    const contact = cast(null);
    plan.tickets.push({ script, contact, guest: plan.guests.length });
    plan.guests.push({ contact, stay: script.stay });
  }
  return plan;
}

/** Template values for a scripted scene: the guest, and the stay they really booked. */
export function scriptVars(ws: WorkspaceSeed, rng: Rng, plan: ScriptPlan, contact: DemoContact, guest: number): Record<string, string> {
  const stay = ws.profile.reservations ? reservationAt(ws, guest, plan.guests[guest]).vars : {};
  return { ...ws.profile.vars(rng, ws.run.clock), ...stay, ...personVars(ws, contact) };
}

export function personVars(ws: WorkspaceSeed, contact: DemoContact): Record<string, string> {
  return { first: contact.first_name, name: contact.name, brand: ws.profile.name };
}
