import type { Channel } from '../store/schema.js';
import type { BatchInserter } from './batch.js';
import type { Clock } from './clock.js';
import type { ContactSpace } from './people.js';
import type { WorkspaceProfile } from './profile.js';
import { streamRng, type Rng } from './random.js';

/** The part of a demo seed in progress: `done` of `total` entities of one kind in one workspace. */
export interface SeedProgress {
  workspace: string;
  phase: 'contacts' | 'conversations' | 'tickets' | 'calls';
  done: number;
  total: number;
  /** Rows written so far, in every table. */
  rows: number;
}

/** One seeding run: the batched writer (and its transactions), the clock, the knobs and the progress report. */
export interface SeedRun {
  out: BatchInserter;
  clock: Clock;
  seed: number;
  scale: number;
  progress(ws: WorkspaceSeed, phase: SeedProgress['phase'], done: number, total: number): void;
}

export interface Person {
  key: string;
  id: string;
  name: string;
  first: string;
}

export interface AgentRef {
  id: string;
  name: string;
  channels: readonly Channel[];
}

/** One workspace being seeded: its profile and the ids its rows refer to. */
export interface WorkspaceSeed {
  run: SeedRun;
  profile: WorkspaceProfile;
  id: string;
  space: ContactSpace;
  /** Contacts at this scale (indexes 0 … contactCount-1). */
  contactCount: number;
  staff: readonly Person[];
  agents: readonly AgentRef[];
  /** The default sender of each channel: outbound messages go out through it. */
  senders: ReadonlyMap<Channel, { id: string; address: string }>;
}

/** The random stream for entity #index of a kind in this workspace. */
export function rngFor(ws: WorkspaceSeed, kind: string, index = 0): Rng {
  return streamRng(ws.run.seed, `${ws.profile.slug}/${kind}`, index);
}

export function staffByKey(ws: WorkspaceSeed, key: string): Person {
  const person = ws.staff.find((s) => s.key === key);
  if (!person) throw new Error(`demo profile ${ws.profile.slug} has no staff member "${key}"`);
  return person;
}

/** The AI agent that answers on a channel, if any. */
export function agentFor(ws: WorkspaceSeed, channel: Channel): AgentRef | undefined {
  return ws.agents.find((agent) => agent.channels.includes(channel));
}
