import { z } from 'zod';
import { InvalidParamsError, NO_COMPLETION, type Completion, type PromptContext } from './prompt-arguments.js';
import type { PromptCatalog } from './prompts.js';

const completeParamsSchema = z.object({
  ref: z.discriminatedUnion('type', [
    z.object({ type: z.literal('ref/prompt'), name: z.string().min(1).max(200) }),
    z.object({ type: z.literal('ref/resource'), uri: z.string().max(2000) }),
  ]),
  argument: z.object({ name: z.string().min(1).max(200), value: z.string().max(200) }),
  context: z.object({ arguments: z.record(z.string(), z.string()).optional() }).optional(),
});

/**
 * completion/complete: suggestions for a prompt argument from what the user has typed so far.
 * The workspace argument offers only the caller's own workspaces; the time window its fixed
 * choices; free text (phrases, ids, topics) nothing. Unknown prompts and arguments are invalid
 * params, as for prompts/get.
 */
export async function complete(params: unknown, prompts: PromptCatalog, ctx: PromptContext): Promise<{ completion: Completion }> {
  const parsed = completeParamsSchema.safeParse(params ?? {});
  if (!parsed.success) {
    throw new InvalidParamsError('completion/complete needs params.ref ({type: "ref/prompt", name}) and params.argument ({name, value}, value at most 200 characters)');
  }
  const { ref, argument } = parsed.data;
  if (ref.type === 'ref/resource') throw new InvalidParamsError('This server has no resource templates to complete: complete prompt arguments (ref/prompt) instead');
  const kind = prompts.argument(ref.name, argument.name);
  return { completion: kind.complete ? await kind.complete.values(argument.value, ctx) : NO_COMPLETION };
}
