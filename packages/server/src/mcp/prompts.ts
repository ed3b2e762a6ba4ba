import { z } from 'zod';
import type { Workspace } from '../core/workspace-access.js';
import { SURFACE_ICONS, type Icon, type Surface } from '../icons.js';
import {
  conversationArgument,
  InvalidParamsError,
  phraseArgument,
  topicArgument,
  windowArgument,
  workspaceArgument,
  type ArgumentKind,
  type PromptContext,
} from './prompt-arguments.js';

/**
 * The product page's example prompts as MCP prompts: hosts show them as slash commands
 * (Claude Code: `/conduit:triage_tickets acme-hotels 24h`) or in a prompt menu with a field per
 * argument (Claude Desktop). Each names the tools and arguments to use, with the time window
 * already turned into a timestamp, so the model starts with the right calls.
 */

interface Arg<T, Optional extends boolean> {
  kind: ArgumentKind<T>;
  optional: Optional;
  /** Parsed in place of an absent value; such an argument is not required from the client. */
  fallback?: string;
}

const required = <T>(kind: ArgumentKind<T>): Arg<T, false> => ({ kind, optional: false });
const withDefault = <T>(kind: ArgumentKind<T>, fallback: string): Arg<T, false> => ({ kind, optional: false, fallback });
const optional = <T>(kind: ArgumentKind<T>): Arg<T, true> => ({ kind, optional: true });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ArgSpecs = Record<string, Arg<any, boolean>>;
type ArgsOf<S extends ArgSpecs> = { [K in keyof S]: S[K] extends Arg<infer T, infer O> ? (O extends true ? T | undefined : T) : never };

interface PromptDefinition<S extends ArgSpecs = ArgSpecs> {
  name: string;
  title: string;
  description: string;
  /** Whose icon the prompt shows: the surface of the tools it uses. */
  surface: Surface;
  /** In this order: hosts that take arguments positionally (Claude Code) follow it. */
  arguments: S;
  render(args: ArgsOf<S>, ctx: PromptContext): string | Promise<string>;
}

const definePrompt = <S extends ArgSpecs>(definition: PromptDefinition<S>): PromptDefinition<S> => definition;

/** Any prompt, for the catalog. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPrompt = PromptDefinition<any>;

const quoted = (workspace: Workspace) => `"${workspace.slug}"`;

const useWorkspace = definePrompt({
  name: 'use_workspace',
  title: 'Use one workspace',
  description: 'Anchor this conversation to one Conduit workspace, so every tool call uses it and the model stops guessing workspace ids.',
  surface: 'workspaces',
  arguments: { workspace: required(workspaceArgument) },
  render: ({ workspace }) =>
    `Operate on the ${quoted(workspace)} workspace (${workspace.name}) for the rest of this conversation: ` +
    `pass workspace_id ${quoted(workspace)} to every Conduit tool that takes one, ` +
    'and ask me before using any other workspace. Reply with one line confirming the workspace.',
});

const triageTickets = definePrompt({
  name: 'triage_tickets',
  title: 'Triage recent tickets',
  description: 'Open helpdesk tickets touched in a time window (default the last 24 hours), grouped by topic, with the three most urgent ones summarised. Read-only.',
  surface: 'tickets',
  arguments: { workspace: required(workspaceArgument), window: withDefault(windowArgument, '24h') },
  render: ({ workspace, window }) =>
    `For the ${quoted(workspace)} workspace, list every open helpdesk ticket touched in ${window.phrase}, ` +
    'group them by inferred topic, and tell me the three most urgent ones with the customer name and a one-line summary.\n\n' +
    `Use list_tickets with workspace_id ${quoted(workspace)}, status "open" and updated_after "${window.since}", ` +
    'following next_cursor while has_more is true; use get_ticket and list_ticket_messages where a ticket needs more context. ' +
    'Only read: do not reply to or change any ticket.',
});

const findConversations = definePrompt({
  name: 'find_conversations',
  title: 'Find conversations mentioning a phrase',
  description: 'Conversations where the contact mentioned a phrase in a time window (default the last 7 days), and the full thread of the most recent one with timestamps. Read-only.',
  surface: 'conversations',
  arguments: { workspace: required(workspaceArgument), phrase: required(phraseArgument), window: withDefault(windowArgument, '7d') },
  render: ({ workspace, phrase, window }) =>
    `Search the ${quoted(workspace)} workspace for any conversation where the contact mentioned "${phrase}" in ${window.phrase}. ` +
    'Pull the full message thread for the most recent one and show me the timestamps.\n\n' +
    `Use search_conversations with workspace_id ${quoted(workspace)}, query ${JSON.stringify(`"${phrase}"`)} (the exact phrase) ` +
    `and created_after "${window.since}"; count only messages the contact wrote (direction inbound). ` +
    'Then read that conversation with list_conversation_messages, order "asc", following next_cursor to the end of the thread. Only read: send nothing.',
});

const draftReply = definePrompt({
  name: 'draft_reply',
  title: 'Draft a reply (not sent)',
  description: 'Read a conversation\'s last twenty messages and draft a reply in the team\'s tone that cites the knowledge base. Prints the draft; sends nothing.',
  surface: 'conversations',
  arguments: { workspace: required(workspaceArgument), conversation_id: required(conversationArgument), topic: optional(topicArgument) },
  async render({ workspace, conversation_id, topic }, ctx) {
    const conversation = await ctx.db
      .selectFrom('conversations')
      .select('id')
      .where('id', '=', conversation_id)
      .where('workspace_id', '=', workspace.id)
      .executeTakeFirst();
    if (!conversation) {
      throw new InvalidParamsError(`Invalid argument "conversation_id" of prompt draft_reply: ${conversation_id} was not found in the ${workspace.slug} workspace`);
    }
    const question = topic ? `the ${topic} question` : 'the customer\'s latest question';
    const policy = topic ? `our ${topic} policy` : 'the policy that applies';
    return (
      `Pull conversation ${conversation_id} on the ${quoted(workspace)} workspace. Read the last twenty messages. ` +
      `Draft a reply that addresses ${question}, matches the tone of our previous responses, and cites ${policy} from the knowledge base. ` +
      'Don\'t send it — just print it.\n\n' +
      `Use get_conversation and list_conversation_messages (workspace_id ${quoted(workspace)}, conversation_id "${conversation_id}", order "desc", limit 20), ` +
      'then search_knowledge for the policy, citing the title and path of each node you use. ' +
      'Do not call send_conversation_message.'
    );
  },
});

const findKnowledgeMentions = definePrompt({
  name: 'find_knowledge_mentions',
  title: 'Find knowledge mentioning a phrase',
  description: 'Every knowledge base node that mentions a phrase, with its title, path and the sentence containing it: to review before editing. Read-only.',
  surface: 'knowledge',
  arguments: { workspace: required(workspaceArgument), phrase: required(phraseArgument) },
  render: ({ workspace, phrase }) =>
    `Search the knowledge base of the ${quoted(workspace)} workspace for any node that mentions "${phrase}". ` +
    'For each match, show me the node title, the path, and the sentence that contains the phrase.\n\n' +
    `Use search_knowledge_nodes with workspace_id ${quoted(workspace)}, query ${JSON.stringify(phrase)} and match "phrase", ` +
    'following next_cursor while has_more is true. Change nothing: I will ask for edits (update_knowledge_node) after reviewing the list.',
});

/** Every prompt, in the order prompts/list shows them. */
export const allPrompts: readonly AnyPrompt[] = [useWorkspace, triageTickets, findConversations, draftReply, findKnowledgeMentions];

/** A prompt as prompts/list shows it. */
export interface ListedPrompt {
  name: string;
  title: string;
  description: string;
  arguments: { name: string; title: string; description: string; required: boolean }[];
  icons: readonly Icon[];
}

export interface GetPromptResult {
  description: string;
  messages: { role: 'user'; content: { type: 'text'; text: string } }[];
}

export interface PromptCatalog {
  readonly listed: readonly ListedPrompt[];
  get(params: unknown, ctx: PromptContext): Promise<GetPromptResult>;
  /** The named prompt's argument, for completion/complete; throws InvalidParamsError when either is unknown. */
  argument(promptName: string, argumentName: string): ArgumentKind<unknown>;
}

const getParamsSchema = z.object({
  name: z.string().min(1).max(200),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

function argumentsOf(prompt: AnyPrompt): [string, Arg<unknown, boolean>][] {
  return Object.entries(prompt.arguments as ArgSpecs);
}

function find(byName: ReadonlyMap<string, AnyPrompt>, name: string): AnyPrompt {
  const prompt = byName.get(name);
  if (!prompt) throw new InvalidParamsError(`Unknown prompt: ${name}. prompts/list names the prompts: ${[...byName.keys()].join(', ')}`);
  return prompt;
}

/** Built once at start-up: the listing is computed here, not per request. */
export function createPromptCatalog(prompts: readonly AnyPrompt[] = allPrompts): PromptCatalog {
  const byName = new Map(prompts.map((prompt) => [prompt.name, prompt]));
  const listed = prompts.map((prompt) => ({
    name: prompt.name,
    title: prompt.title,
    description: prompt.description,
    arguments: argumentsOf(prompt).map(([name, arg]) => ({
      name,
      title: arg.kind.title,
      description: arg.fallback === undefined ? arg.kind.description : `${arg.kind.description} Default: ${arg.fallback}.`,
      required: !arg.optional && arg.fallback === undefined,
    })),
    icons: SURFACE_ICONS[prompt.surface],
  }));

  async function get(params: unknown, ctx: PromptContext): Promise<GetPromptResult> {
    const parsed = getParamsSchema.safeParse(params ?? {});
    if (!parsed.success) throw new InvalidParamsError('prompts/get needs params.name (string) and params.arguments (an object of strings)');
    const prompt = find(byName, parsed.data.name);
    const given = parsed.data.arguments ?? {};
    const unknown = Object.keys(given).filter((name) => !Object.hasOwn(prompt.arguments, name));
    if (unknown.length > 0) {
      throw new InvalidParamsError(`Prompt ${prompt.name} has no argument ${unknown.map((name) => `"${name}"`).join(', ')}; it takes: ${Object.keys(prompt.arguments).join(', ')}`);
    }
    const args: Record<string, unknown> = {};
    for (const [name, arg] of argumentsOf(prompt)) {
      const value = given[name];
      if (value !== undefined && typeof value !== 'string') throw new InvalidParamsError(`Argument "${name}" of prompt ${prompt.name} must be a string`);
      // Forms send an empty field for an argument left blank.
      const text = value?.trim() ? value : arg.fallback;
      if (text === undefined) {
        if (!arg.optional) throw new InvalidParamsError(`Missing required argument "${name}" of prompt ${prompt.name}: ${arg.kind.description}`);
        continue;
      }
      try {
        args[name] = await arg.kind.parse(text, ctx);
      } catch (error) {
        throw new InvalidParamsError(`Invalid argument "${name}" of prompt ${prompt.name}: ${(error as Error).message}`);
      }
    }
    const text = await prompt.render(args as ArgsOf<ArgSpecs>, ctx);
    return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text } }] };
  }

  function argument(promptName: string, argumentName: string): ArgumentKind<unknown> {
    const prompt = find(byName, promptName);
    const arg = Object.hasOwn(prompt.arguments, argumentName) ? (prompt.arguments as ArgSpecs)[argumentName] : undefined;
    if (!arg) throw new InvalidParamsError(`Prompt ${prompt.name} has no argument "${argumentName}"; it takes: ${Object.keys(prompt.arguments).join(', ')}`);
    return arg.kind;
  }

  return { listed, get, argument };
}
