import { z } from 'zod';
import { SURFACE_ICONS, type Icon, type Surface } from '../icons.js';
import { agentTools } from './agents.js';
import { appointmentTools } from './appointments.js';
import { callTools } from './calls.js';
import { contactTools } from './contacts.js';
import { conversationTools } from './conversations.js';
import { customAttributeTools } from './custom-attributes.js';
import { annotationsFor, type AnyTool, type ServedTools, type ToolAnnotations } from './define.js';
import { knowledgeTools } from './knowledge.js';
import { portableSchema } from './portable-schema.js';
import { reservationTools } from './reservations.js';
import { skillTools } from './skills.js';
import { ticketTools } from './tickets.js';
import { workspaceTools } from './workspaces.js';

/** The tools of each surface, in the order tools/list shows them (as on the product page); a surface names its icon. */
const SURFACES: readonly (readonly [Surface, readonly AnyTool[]])[] = [
  ['workspaces', workspaceTools],
  ['contacts', contactTools],
  ['custom_attributes', customAttributeTools],
  ['conversations', conversationTools],
  ['tickets', ticketTools],
  ['calls', callTools],
  ['appointments', appointmentTools],
  ['reservations', reservationTools],
  ['knowledge', knowledgeTools],
  ['agents', agentTools],
  ['skills', skillTools],
];

/** Every tool, in the order tools/list shows them. */
export const allTools: readonly AnyTool[] = SURFACES.flatMap(([, tools]) => tools);

const surfaceOf = new Map(SURFACES.flatMap(([surface, tools]) => tools.map((tool) => [tool.name, surface] as const)));

/**
 * Names the product page's examples use; accepted by tools/call, never listed, so models that
 * learned them from the docs still work without the list showing two names for one tool.
 */
export const TOOL_ALIASES: Readonly<Record<string, string>> = {
  list_helpdesk_tickets: 'list_tickets',
  get_helpdesk_ticket: 'get_ticket',
};

/** A tool as tools/list shows it. */
export interface ListedTool {
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  annotations: ToolAnnotations;
  /** Its surface's icon (MCP 2025-11-25); absent for a tool outside the catalog. */
  icons?: readonly Icon[];
}

export interface ToolRegistry {
  readonly tools: readonly AnyTool[];
  readonly listed: readonly ListedTool[];
  /** What tool contexts of this registry's calls carry as `servedTools`. */
  readonly served: ServedTools;
  get(name: string): AnyTool | undefined;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // draft-07 is what MCP 2025-06-18 clients (and the SDK's validator) expect; portable so that
  // hosts mapping it onto a single-`type` dialect keep every tool and every constraint.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-7', unrepresentable: 'any' });
  return portableSchema(rest);
}

/** Built once at start-up: JSON schemas are computed here, not per request. */
export function createRegistry(tools: readonly AnyTool[] = allTools): ToolRegistry {
  const byName = new Map<string, AnyTool>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`duplicate tool name ${tool.name}`);
    byName.set(tool.name, tool);
  }
  const aliases = new Map<string, string>();
  for (const [alias, target] of Object.entries(TOOL_ALIASES)) {
    const tool = byName.get(target);
    if (tool) {
      byName.set(alias, tool);
      aliases.set(alias, target);
    }
  }
  const listed = tools.map((tool): ListedTool => {
    const surface = surfaceOf.get(tool.name);
    return {
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: jsonSchema(tool.input, 'input'),
      outputSchema: jsonSchema(tool.output, 'output'),
      annotations: annotationsFor(tool.kind, tool.title),
      ...(surface ? { icons: SURFACE_ICONS[surface] } : {}),
    };
  });
  const served = { names: new Set(tools.map((tool) => tool.name)), aliases };
  return { tools, listed, served, get: (name) => byName.get(name) };
}
