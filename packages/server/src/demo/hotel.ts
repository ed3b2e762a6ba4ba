import { HOTEL_KNOWLEDGE } from './hotel-knowledge.js';
import { HOTEL_SCRIPTED_CONVERSATIONS, HOTEL_SCRIPTED_TICKETS } from './hotel-scripted.js';
import { HOTEL_SMALL_TALK, HOTEL_TOPICS } from './hotel-topics.js';
import type { PropertySpec, WorkspaceProfile } from './profile.js';
import { CODE_ALPHABET, formatMoney, spokenDate } from './text.js';

const PROPERTIES: readonly PropertySpec[] = [
  {
    name: 'Acme Harbor View',
    currency: 'USD',
    rooms: [
      { type: 'Standard King', nightly_minor: 22900, max_guests: 2 },
      { type: 'Deluxe Queen', nightly_minor: 25900, max_guests: 3 },
      { type: 'Accessible King', nightly_minor: 22900, max_guests: 2 },
      { type: 'Bay View Suite', nightly_minor: 48900, max_guests: 4 },
    ],
  },
  {
    name: 'Acme Old Town',
    currency: 'EUR',
    rooms: [
      { type: 'Classic Double', nightly_minor: 14500, max_guests: 2 },
      { type: 'Superior Twin', nightly_minor: 16500, max_guests: 2 },
      { type: 'Junior Suite', nightly_minor: 26000, max_guests: 3 },
    ],
  },
  {
    name: 'Acme Lakeside Lodge',
    currency: 'USD',
    rooms: [
      { type: 'Lodge Room', nightly_minor: 19900, max_guests: 2 },
      { type: 'Lake View King', nightly_minor: 27900, max_guests: 2 },
      { type: 'Family Cabin', nightly_minor: 39900, max_guests: 6 },
    ],
  },
];

export const HOTEL_PROFILE: WorkspaceProfile = {
  slug: 'acme-hotels',
  name: 'Acme Hotels',
  base: { contacts: 300, conversations: 400, tickets: 150, calls: 100, appointments: 80, reservations: 200 },
  countries: [['US', 55], ['GB', 15], ['DE', 10], ['AU', 8], ['FR', 12]],
  historyDays: 540,
  channelWeights: { email: 30, whatsapp: 25, sms: 20, webchat: 20, voice: 5 },
  staff: [
    { key: 'maya', name: 'Maya Chen', email: 'maya.chen@acme-hotels.example', role: 'admin' },
    { key: 'daniel', name: 'Daniel Brooks', email: 'daniel.brooks@acme-hotels.example', role: 'member' },
    { key: 'leila', name: 'Leila Haddad', email: 'leila.haddad@acme-hotels.example', role: 'member' },
  ],
  senders: [
    { channel: 'sms', address: '+16285550100', display_name: 'Acme Hotels', is_default: true },
    { channel: 'sms', address: '+16285550101', display_name: 'Acme Harbor View front desk', is_default: false },
    { channel: 'email', address: 'reservations@acme-hotels.example', display_name: 'Acme Hotels Reservations', is_default: true },
    { channel: 'email', address: 'billing@acme-hotels.example', display_name: 'Acme Hotels Billing', is_default: false },
    { channel: 'whatsapp', address: '+16285550102', display_name: 'Acme Hotels', is_default: true },
    { channel: 'webchat', address: 'acme-hotels.example', display_name: 'Website chat', is_default: true },
    { channel: 'voice', address: '+16285550100', display_name: 'Acme Hotels main line', is_default: true },
    { channel: 'voice', address: '+16285550103', display_name: 'Lakeside Lodge reception', is_default: false },
  ],
  attributes: [
    { key: 'loyalty_tier', label: 'Loyalty tier', type: 'enum', options: ['Member', 'Silver', 'Gold', 'Platinum'], share: 0.6,
      value: (rng) => rng.weighted([['Member', 50], ['Silver', 25], ['Gold', 17], ['Platinum', 8]]) },
    { key: 'loyalty_points', label: 'Loyalty points', type: 'number', share: 0.5, value: (rng) => rng.int(0, 250) * 100 },
    { key: 'vip', label: 'VIP', type: 'boolean', share: 0.8, value: (rng) => rng.chance(0.08) },
    { key: 'marketing_opt_in', label: 'Marketing opt-in', type: 'boolean', share: 0.9, value: (rng) => rng.chance(0.55) },
    { key: 'birthday', label: 'Birthday', type: 'date', share: 0.3,
      value: (rng) => `${rng.int(1950, 2004)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}` },
    { key: 'preferred_property', label: 'Preferred property', type: 'enum', options: PROPERTIES.map((p) => p.name), share: 0.4,
      value: (rng) => rng.pick(PROPERTIES).name },
    { key: 'company', label: 'Company', type: 'string', share: 0.15,
      value: (rng) => rng.pick(['Globex Ltd', 'Initech', 'Umbrella Travel', 'Wayne Enterprises', 'Stark Industries', 'Hooli']) },
    { key: 'dietary_notes', label: 'Dietary notes', type: 'string', share: 0.1,
      value: (rng) => rng.pick(['Vegetarian', 'Vegan', 'Nut allergy', 'Gluten-free', 'Lactose intolerant', 'No shellfish']) },
  ],
  topics: HOTEL_TOPICS,
  smallTalk: HOTEL_SMALL_TALK,
  calls: [
    {
      weight: 4,
      summaries: ['{first} called to change the dates of booking {code}; moved to {date}.', 'Date change for {code}, rate unchanged.'],
      turns: [
        ['staff', 'Thank you for calling {brand}, how can I help?'],
        ['contact', 'Hi, I would like to move my reservation {code} to {date}.'],
        ['staff', 'Of course. Let me check availability at {place}… Yes, a {room} is available.'],
        ['contact', 'Great, is the price the same?'],
        ['staff', 'Yes, same rate. I have updated the booking and sent a new confirmation.'],
        ['contact', 'Perfect, thank you.'],
      ],
      voicemail: 'Hi, this is {first}, calling about reservation {code}. I need to change the dates, please call me back.',
    },
    {
      weight: 3,
      summaries: ['{first} asked about a double charge on {code}; explained the pre-authorization hold.', 'Billing question about two charges of {amount}.'],
      turns: [
        ['staff', '{brand}, good afternoon.'],
        ['contact', 'Hi, I see two charges of {amount} on my card for booking {code}.'],
        ['staff', 'Let me look. One of them is the pre-authorization hold from check-in; it is released within 5 to 7 business days.'],
        ['contact', 'So I will not pay twice?'],
        ['staff', 'Correct, only one charge will stay. I will email you a breakdown.'],
      ],
      voicemail: 'Hello, it is {first}. There seem to be two charges on my card for my stay, can someone call me back?',
    },
    {
      weight: 3,
      summaries: ['{first} will arrive late; reception notified.', 'Late arrival for {code}, room guaranteed.'],
      turns: [
        ['staff', 'Thank you for calling {place}.'],
        ['contact', 'Hi, our flight is delayed, we will only arrive around 1am.'],
        ['staff', 'No problem, reception is open all night and your room is guaranteed.'],
        ['contact', 'Thanks, see you tonight.'],
      ],
      voicemail: 'Hi, {first} here, we are arriving very late tonight, please keep our room.',
    },
    {
      weight: 2,
      summaries: ['{first} complained about noise; moved to a quieter room.', 'Noise complaint handled, room changed.'],
      turns: [
        ['contact', 'Hello, the room next to us is very loud.'],
        ['staff', 'I am sorry about that. I can move you to a quieter room on a higher floor right away.'],
        ['contact', 'Yes please.'],
        ['staff', 'A porter will come up with new keys in ten minutes.'],
      ],
      voicemail: 'Hi, this is {first} in the hotel, the noise next door is unbearable, please call me.',
    },
  ],
  appointments: [
    { title: 'Deep tissue massage', minutes: 60, weight: 4, locations: ['Spa, Acme Lakeside Lodge'], notes: ['Prefers firm pressure.', 'First visit.', ''] },
    { title: 'Couples massage', minutes: 90, weight: 2, locations: ['Spa, Acme Lakeside Lodge'], notes: ['Anniversary, add champagne.', ''] },
    { title: 'Wedding venue tour', minutes: 45, weight: 2, locations: ['Ballroom, Acme Harbor View', 'Terrace, Acme Lakeside Lodge'], notes: ['About 120 guests, date flexible.', 'Bring menu samples.'] },
    { title: "Chef's table dinner", minutes: 120, weight: 2, locations: ['Restaurant, Acme Old Town'], notes: ['Vegetarian menu for one guest.', 'Party of four.'] },
    { title: 'Airport transfer', minutes: 60, weight: 3, locations: ['Lobby, Acme Harbor View', 'Lobby, Acme Lakeside Lodge'], notes: ['Flight UA 1234.', 'Two large suitcases.', ''] },
    { title: 'Meeting room walkthrough', minutes: 30, weight: 1, locations: ['Conference floor, Acme Harbor View'], notes: ['Offsite for 25 people.'] },
  ],
  reservations: { codePrefix: 'AH', properties: PROPERTIES },
  knowledge: HOTEL_KNOWLEDGE,
  skills: [
    { key: 'lookup', name: 'Reservation lookup', description: 'Find a guest\'s reservation by confirmation code, name or dates.',
      body: 'When a guest mentions a booking, find it with list_reservations (confirmation_code first, else the contact). Quote the property, dates and room type back to the guest before changing anything.',
      allowed_tools: ['list_reservations', 'get_reservation', 'search_contacts', 'get_contact'], tags: ['reservations'], enabled: true },
    { key: 'refunds', name: 'Cancellations and refunds', description: 'Answer cancellation and refund questions from the policy.',
      body: 'Always cite the current cancellation policy (72 hours before arrival) and the refund policy from the knowledge base. Never promise a refund outside the policy; hand over to a human instead.',
      allowed_tools: ['search_knowledge', 'get_knowledge_node', 'list_reservations'], tags: ['policy', 'refund'], enabled: true },
    { key: 'billing', name: 'Billing disputes', description: 'Explain holds and double charges; escalate real billing errors.',
      body: 'If a guest reports a double charge, explain the pre-authorization hold first. If both amounts were captured, create a billing ticket and hand the conversation to the billing team.',
      allowed_tools: ['search_knowledge', 'list_tickets', 'send_ticket_message'], tags: ['billing'], enabled: true },
    { key: 'late_checkout', name: 'Late check-out', description: 'Grant late check-out to eligible members.',
      body: 'Gold and Platinum members get late check-out until 2pm for free. Others: offer it subject to availability on the day.',
      allowed_tools: ['get_contact', 'get_contact_custom_attributes', 'send_conversation_message'], tags: ['front-desk'], enabled: false },
    { key: 'escalate', name: 'Escalate to a human', description: 'Hand over when the guest is upset or the request is out of policy.',
      body: 'Hand over to a team member when the guest is upset, asks for a person, reports a safety issue, or asks for something outside policy. Tell the guest a colleague will take over.',
      allowed_tools: ['list_tickets', 'send_conversation_message'], tags: ['handover'], enabled: true },
  ],
  agents: [
    { name: 'Aria (Front Desk)', description: 'Answers guests on chat and messaging around the clock.',
      instructions: 'You are Aria, the front desk assistant of Acme Hotels. Be warm and brief. Answer from the knowledge base; for anything about money or safety, hand over to a human.',
      guardrails: ['Never share another guest\'s details.', 'Never promise refunds.', 'Hand over safety issues immediately.'],
      skills: ['lookup', 'late_checkout', 'escalate'], operation_mode: 'autopilot', channels: ['webchat', 'whatsapp', 'sms'] },
    { name: 'Billing Assistant', description: 'Drafts answers to billing and refund emails for the team to review.',
      instructions: 'Draft replies to billing questions. Explain holds and refunds using the refund and payments policies. A human approves every reply.',
      guardrails: ['Quote amounts exactly as in the payment records.', 'Do not discuss card numbers.'],
      skills: ['billing', 'refunds', 'escalate'], operation_mode: 'copilot', channels: ['email', 'webchat'] },
    { name: 'Night Audit Voice Agent', description: 'Takes after-hours calls (paused while the night team is staffed).',
      instructions: 'Answer calls between 11pm and 7am, take messages and look up reservations. Transfer emergencies to the duty manager.',
      guardrails: ['Transfer emergencies at once.'], skills: ['lookup', 'escalate'], operation_mode: 'off', channels: ['voice'] },
  ],
  vars(rng, clock) {
    const property = rng.pick(PROPERTIES);
    const room = rng.pick(property.rooms);
    return {
      place: property.name,
      room: room.type,
      // Codes a guest quotes in passing; drawn from the same alphabet as real ones.
      code: `AH-${Array.from({ length: 5 }, () => rng.pick([...CODE_ALPHABET])).join('')}`,
      date: spokenDate(clock.date(rng.int(-30, 60))),
      amount: formatMoney(room.nightly_minor * rng.int(1, 5), property.currency),
    };
  },
  scripted: { conversations: HOTEL_SCRIPTED_CONVERSATIONS, tickets: HOTEL_SCRIPTED_TICKETS },
};

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
