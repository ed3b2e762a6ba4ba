import type {
  AttributeType,
  Channel,
  ConversationStatus,
  OperationMode,
  Priority,
  ReservationStatus,
  TicketStatus,
  WaitingOn,
  WorkspaceRole,
} from '../store/schema.js';
import type { Clock } from './clock.js';
import type { Country, DemoContact } from './people.js';
import type { Rng } from './random.js';

/**
 * Everything that makes one demo workspace what it is (a hotel group, a clinic): its people,
 * its vocabulary, its knowledge base. The generators are shared; profiles are plain data.
 */
export interface WorkspaceProfile {
  slug: string;
  name: string;
  /** Row counts at scale 1. Contacts, conversations, tickets and calls are multiplied by the scale. */
  base: { contacts: number; conversations: number; tickets: number; calls: number; appointments: number; reservations: number };
  countries: ReadonlyArray<readonly [Country, number]>;
  /** How far back contacts and conversations go, in days. */
  historyDays: number;
  channelWeights: Readonly<Record<Channel, number>>;
  staff: readonly StaffSpec[];
  senders: readonly SenderSpec[];
  attributes: readonly AttributeSpec[];
  topics: readonly Topic[];
  /** Side questions (contact line, team answer) that lengthen a thread beyond its scene. */
  smallTalk: ReadonlyArray<readonly [string, string]>;
  calls: readonly CallScript[];
  appointments: readonly AppointmentKind[];
  reservations: ReservationSpec | null;
  knowledge: readonly KnowledgeSpec[];
  skills: readonly SkillSpec[];
  agents: readonly AgentSpec[];
  /** Workspace-specific template values: {place}, {code}, {date}, {amount}, … */
  vars(rng: Rng, clock: Clock): Record<string, string>;
  scripted: { conversations: readonly ScriptedConversation[]; tickets: readonly ScriptedTicket[] };
}

export interface StaffSpec {
  key: string;
  name: string;
  email: string;
  role: WorkspaceRole;
}

export interface SenderSpec {
  channel: Channel;
  address: string;
  display_name: string;
  /** Exactly one sender per channel is the default. */
  is_default: boolean;
}

export type AttributeValue = string | number | boolean;

export interface AttributeSpec {
  key: string;
  label: string;
  type: AttributeType;
  options?: readonly string[];
  /** Share of contacts that have a value. */
  share: number;
  value(rng: Rng, contact: DemoContact, clock: Clock): AttributeValue;
}

/** One way a conversation about a topic goes: lines alternate, contact first. */
export interface Scene {
  subject: string;
  summary: string;
  /** Ways the contact opens. */
  openers: readonly string[];
  /** What follows the opener, alternating team (first) and contact. */
  turns: readonly string[];
}

/**
 * A reason people get in touch. Template placeholders: {first} {name} (the contact), {staff}
 * (who answers), {brand}, and whatever the profile's vars() provides.
 */
export interface Topic {
  key: string;
  weight: number;
  scenes: readonly Scene[];
  tags: readonly string[];
  /** Internal notes on tickets. */
  notes: readonly string[];
}

export interface CallScript {
  weight: number;
  summaries: readonly string[];
  /** Alternating lines; `staff` becomes the voice agent or a team member. */
  turns: ReadonlyArray<readonly ['contact' | 'staff', string]>;
  voicemail: string;
}

export interface AppointmentKind {
  title: string;
  minutes: number;
  weight: number;
  locations: readonly string[];
  notes: readonly string[];
}

export interface PropertySpec {
  name: string;
  currency: string;
  rooms: ReadonlyArray<{ type: string; nightly_minor: number; max_guests: number }>;
}

export interface ReservationSpec {
  /** Confirmation codes look like `AH-7Q2K9`. */
  codePrefix: string;
  properties: readonly PropertySpec[];
}

/** A folder when it has children, else an article with a markdown body. */
export interface KnowledgeSpec {
  title: string;
  /** Days since creation and since the last edit. */
  createdDaysAgo: number;
  updatedDaysAgo: number;
  body?: string;
  children?: readonly KnowledgeSpec[];
}

export interface SkillSpec {
  key: string;
  name: string;
  description: string;
  body: string;
  allowed_tools: readonly string[];
  tags: readonly string[];
  enabled: boolean;
}

export interface AgentSpec {
  name: string;
  description: string;
  instructions: string;
  guardrails: readonly string[];
  skills: readonly string[];
  operation_mode: OperationMode;
  channels: readonly Channel[];
}

/** The reservation a scripted guest holds, in days from today. */
export interface StaySpec {
  checkInDays: number;
  nights: number;
  /** Overrides the status the dates imply (an early departure is checked out before its date). */
  status?: ReservationStatus;
}

export interface ScriptedMessage {
  from: 'contact' | 'staff' | 'agent' | 'system';
  text: string;
  /** Minutes after the previous message. */
  after: number;
}

/**
 * A hand-written conversation placed at a fixed distance from `now`, so the product page's
 * example prompts find what they ask for whatever the seed.
 */
export interface ScriptedConversation {
  /** A fixed id, for the conversation the product page names (`cv_abc`); else generated. */
  id?: string;
  channel: Channel;
  status: ConversationStatus;
  subject?: string;
  staff: string;
  stay?: StaySpec;
  /** Minutes before now of the last message. */
  endsMinutesAgo: number;
  messages: readonly ScriptedMessage[];
}

export interface ScriptedTicket {
  subject: string;
  summary: string;
  status: TicketStatus;
  waiting_on: WaitingOn;
  priority: Priority;
  tags: readonly string[];
  source: string;
  /** null leaves the ticket unassigned. */
  staff: string | null;
  /** Share the contact of scripted conversation #n (the same guest writes and has a ticket). */
  sameContactAs?: number;
  stay?: StaySpec;
  endsMinutesAgo: number;
  messages: ReadonlyArray<{ from: 'contact' | 'staff' | 'note'; text: string; after: number }>;
}
