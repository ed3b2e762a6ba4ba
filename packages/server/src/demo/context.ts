import type { Kysely } from 'kysely';
import type { Channel, Database } from '../store/schema.js';
import type { BatchInserter } from './batch.js';
import type { Clock } from './clock.js';
import type { ContactSpace } from './people.js';
import type { WorkspaceProfile } from './profile.js';
import { streamRng, type Rng } from './random.js';

/** One seeding run: the transaction, the batched writer, the clock and the knobs. */
export interface SeedRun {
  db: Kysely<Database>;
  out: BatchInserter;
  clock: Clock;
  seed: number;
  scale: number;
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
