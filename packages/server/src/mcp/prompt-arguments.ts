import type { Kysely } from 'kysely';
import type { Credential } from '../core/credential.js';
import { noWorkspacesError, type Workspace } from '../core/workspace-access.js';
import type { Database } from '../store/schema.js';

/**
 * The arguments the prompts take, each with what a client shows for it, how its text is checked
 * and what completion/complete offers for it. Hosts pass prompt arguments as strings only, and
 * several (Claude Code) split what the user typed on spaces, one word per argument.
 */

/** What prompts/get and completion/complete need from the request. */
export interface PromptContext {
  credential: Credential;
  db: Kysely<Database>;
  now(): Date;
}

/** A bad or missing argument, an unknown prompt: JSON-RPC "invalid params" (-32602) with this message. */
export class InvalidParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidParamsError';
  }
}

/** Completion values for what the user has typed so far. */
export interface Completion {
  values: string[];
  total: number;
  hasMore: boolean;
}

/** The spec's limit on values per completion result. */
export const MAX_COMPLETION_VALUES = 100;

export const NO_COMPLETION: Completion = { values: [], total: 0, hasMore: false };

export interface ArgumentKind<T> {
  title: string;
  description: string;
  /** Parses the text a client sent (never empty: an empty text counts as absent), or throws a reason. */
  parse(text: string, ctx: PromptContext): T | Promise<T>;
  /** What completion/complete offers; free text has none. */
  complete?: {
    /** Where the values come from, for the docs. */
    from: string;
    values(typed: string, ctx: PromptContext): Promise<Completion> | Completion;
  };
}

const CONTROL = /\p{Cc}/u;

function singleLine(text: string, max: number): string {
  const value = text.trim();
  if (CONTROL.test(value)) throw new Error('must be one line of text, without control characters');
  if (value.length > max) throw new Error(`must be at most ${max} characters`);
  return value;
}

function completeFrom(choices: readonly string[], typed: string): Completion {
  const prefix = typed.trim().toLowerCase();
  const values = choices.filter((choice) => choice.toLowerCase().startsWith(prefix));
  return { values: values.slice(0, MAX_COMPLETION_VALUES), total: values.length, hasMore: values.length > MAX_COMPLETION_VALUES };
}

/** The workspaces a credential was granted, by slug. Grants are few, so one indexed lookup serves both uses. */
export async function grantedWorkspaces(db: Kysely<Database>, credential: Credential): Promise<Workspace[]> {
  const ids = [...credential.workspaceIds];
  if (ids.length === 0) return [];
  return db.selectFrom('workspaces').select(['id', 'slug', 'name']).where('id', 'in', ids).orderBy('slug').execute();
}

/**
 * How well a workspace matches what was typed: its slug or id starting with it first, then a
 * word of its name starting with it, then the text anywhere in slug or name; null for no match.
 */
function workspaceRank(workspace: Workspace, typed: string): number | null {
  if (typed === '') return 0;
  const slug = workspace.slug.toLowerCase();
  const name = workspace.name.toLowerCase();
  if (slug.startsWith(typed) || workspace.id.toLowerCase().startsWith(typed)) return 0;
  if (name.split(/[^\p{L}\p{N}]+/u).some((word) => word.startsWith(typed))) return 1;
  if (slug.includes(typed) || name.includes(typed)) return 2;
  return null;
}

export const workspaceArgument: ArgumentKind<Workspace> = {
  title: 'Workspace',
  description: 'Workspace slug (e.g. acme-hotels) or id (wp_…), one this credential can use.',
  async parse(text, ctx) {
    const typed = singleLine(text, 100).toLowerCase();
    const granted = await grantedWorkspaces(ctx.db, ctx.credential);
    if (granted.length === 0) throw new Error(noWorkspacesError().message);
    const found = granted.find((workspace) => workspace.slug === typed || workspace.id === typed);
    // The caller's own workspaces only: whether another exists is not theirs to learn.
    if (!found) throw new Error(`"${text.trim()}" is not a workspace this credential can use; it can use: ${granted.map((w) => w.slug).join(', ')}`);
    return found;
  },
  complete: {
    from: 'the workspaces the caller\'s token or login was granted, by slug, id or a word of the name',
    // Only the credential's own workspaces are ever offered.
    async values(typed, ctx) {
      const text = typed.trim().toLowerCase();
      const ranked = (await grantedWorkspaces(ctx.db, ctx.credential))
        .map((workspace) => ({ slug: workspace.slug, rank: workspaceRank(workspace, text) }))
        .filter((entry): entry is { slug: string; rank: number } => entry.rank !== null)
        .sort((a, b) => a.rank - b.rank || a.slug.localeCompare(b.slug));
      return {
        values: ranked.slice(0, MAX_COMPLETION_VALUES).map((entry) => entry.slug),
        total: ranked.length,
        hasMore: ranked.length > MAX_COMPLETION_VALUES,
      };
    },
  },
};

/** A time window counted back from now. */
export interface TimeWindow {
  /** As typed, e.g. "7d". */
  label: string;
  /** e.g. "the last 7 days" */
  phrase: string;
  /** Start of the window, ISO 8601 to the minute (e.g. 2026-12-05T17:20:00Z). */
  since: string;
}

const WINDOWS: Readonly<Record<string, { hours: number; phrase: string }>> = {
  '24h': { hours: 24, phrase: 'the last 24 hours' },
  '48h': { hours: 48, phrase: 'the last 48 hours' },
  '7d': { hours: 7 * 24, phrase: 'the last 7 days' },
  '14d': { hours: 14 * 24, phrase: 'the last 14 days' },
  '30d': { hours: 30 * 24, phrase: 'the last 30 days' },
  '90d': { hours: 90 * 24, phrase: 'the last 90 days' },
};
const WINDOW_CHOICES = Object.keys(WINDOWS);

function sinceIso(now: Date, hours: number): string {
  const since = new Date(now.getTime() - hours * 3_600_000);
  since.setUTCSeconds(0, 0);
  return since.toISOString().replace('.000Z', 'Z');
}

export const windowArgument: ArgumentKind<TimeWindow> = {
  title: 'Time window',
  description: `How far back to look: ${WINDOW_CHOICES.join(', ')}.`,
  parse(text, ctx) {
    const label = text.trim().toLowerCase();
    const window = WINDOWS[label];
    if (!window) throw new Error(`"${text.trim()}" is not one of ${WINDOW_CHOICES.join(', ')}`);
    return { label, phrase: window.phrase, since: sinceIso(ctx.now(), window.hours) };
  },
  complete: { from: 'its choices', values: (typed) => completeFrom(WINDOW_CHOICES, typed) },
};

/**
 * A `+` with a character other than space or `+` on each side stands for a space: hosts that
 * split arguments on spaces (Claude Code) cannot pass "double charge" as one argument, but can
 * pass double+charge. "C++" and a lone "+" stay as they are.
 */
const JOINED_WORDS = /(?<=[^\s+])\+(?=[^\s+])/g;

export const phraseArgument: ArgumentKind<string> = {
  title: 'Phrase',
  description: 'The words to find, e.g. double charge. Where the client splits arguments on spaces (Claude Code), join them with +: double+charge.',
  parse(text) {
    let value = singleLine(text, 200).replace(JOINED_WORDS, ' ');
    // A phrase typed with its quotes around it is the same phrase; the prompt quotes it itself.
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).trim();
    if (value.includes('"')) throw new Error('must not contain double quotes');
    if (value === '') throw new Error('must not be empty');
    return value;
  },
};

export const conversationArgument: ArgumentKind<string> = {
  title: 'Conversation',
  description: 'Conversation id (cv_…), as list_conversations or search_conversations show it.',
  parse(text) {
    const value = text.trim();
    if (!/^cv_[0-9a-z]+$/.test(value) || value.length > 100) throw new Error(`"${value}" is not a conversation id (cv_…)`);
    return value;
  },
};

export const topicArgument: ArgumentKind<string> = {
  title: 'Topic',
  description: 'What the customer asked about, e.g. refund.',
  parse(text) {
    return singleLine(text, 100);
  },
};
