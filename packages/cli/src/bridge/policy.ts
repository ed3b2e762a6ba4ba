import { createHash, randomUUID } from 'node:crypto';
import type { RequestId } from '../jsonrpc.js';
import { toolNameFilter } from './glob.js';

export interface PolicyOptions {
  /** --workspace: id or slug injected as workspace_id where a call lacks one. */
  workspace?: string | undefined;
  /** --read-only: write tools are hidden from tools/list and refused locally. */
  readOnly: boolean;
  /** --tools / --exclude-tools globs. */
  include: readonly string[];
  exclude: readonly string[];
}

/** A tool as tools/list describes it; only the fields the policies read. */
export interface ListedTool {
  name: string;
  inputSchema?: { properties?: Record<string, { description?: string } & Record<string, unknown>>; required?: string[] } & Record<string, unknown>;
  annotations?: { readOnlyHint?: boolean } & Record<string, unknown>;
  [key: string]: unknown;
}

interface ToolFacts {
  readOnly: boolean;
  takesWorkspace: boolean;
}

export type CallDecision =
  | { refuse: string }
  | { arguments: Record<string, unknown>; changed: boolean; idempotencyKey: string | undefined; read: boolean };

/**
 * The bridge's own rules on top of the server's tools. Tool facts come from the server's
 * tools/list annotations; a tool the bridge has not seen listed counts as a write, so --read-only
 * fails closed and every unknown call still gets an idempotency key.
 */
export class ToolPolicy {
  private readonly facts = new Map<string, ToolFacts>();
  private known = false;
  private readonly allowedName: (name: string) => boolean;
  /** Keys derive from this and the request id: stable across the bridge's retries, never shared between sessions. */
  private keySeed = randomUUID();

  constructor(private readonly options: PolicyOptions) {
    this.allowedName = toolNameFilter(options.include, options.exclude);
  }

  /** A client initialize starts a new session, whose request ids may repeat earlier ones. */
  newSession(): void {
    this.keySeed = randomUUID();
  }

  /** Whether a tools/call needs the tool list first (to know what the tool is before deciding). */
  get needsCatalog(): boolean {
    return !this.known && (this.options.readOnly || this.options.workspace !== undefined);
  }

  /** Whether the full tool list has been seen since the last change. */
  get catalogKnown(): boolean {
    return this.known;
  }

  /** True only for a tool the server listed as readOnlyHint. */
  isRead(name: string): boolean {
    return this.facts.get(name)?.readOnly === true;
  }

  /** Records what one tools/list page says; `complete` when it was the last page. */
  learn(tools: readonly ListedTool[], complete: boolean): void {
    for (const tool of tools) {
      this.facts.set(tool.name, {
        readOnly: tool.annotations?.readOnlyHint === true,
        takesWorkspace: Object.hasOwn(tool.inputSchema?.properties ?? {}, 'workspace_id'),
      });
    }
    if (complete) this.known = true;
  }

  /** After notifications/tools/list_changed: what we knew may be stale. */
  forget(): void {
    this.facts.clear();
    this.known = false;
  }

  isVisible(tool: ListedTool): boolean {
    return this.allowedName(tool.name) && (!this.options.readOnly || tool.annotations?.readOnlyHint === true);
  }

  /** A tools/list result as the client should see it: hidden tools removed, workspace_id optional when pinned. */
  rewriteList(result: { tools?: ListedTool[] } & Record<string, unknown>): Record<string, unknown> {
    const tools = (result.tools ?? []).filter((tool) => this.isVisible(tool)).map((tool) => this.rewriteTool(tool));
    return { ...result, tools };
  }

  private rewriteTool(tool: ListedTool): ListedTool {
    const workspace = this.options.workspace;
    const schema = tool.inputSchema;
    if (workspace === undefined || !schema?.properties || !Object.hasOwn(schema.properties, 'workspace_id')) return tool;
    const property = schema.properties.workspace_id!;
    const note = `Optional: defaults to "${workspace}" (pinned by conduit-mcp --workspace).`;
    return {
      ...tool,
      inputSchema: {
        ...schema,
        properties: { ...schema.properties, workspace_id: { ...property, description: property.description ? `${property.description} ${note}` : note } },
        ...(schema.required ? { required: schema.required.filter((name) => name !== 'workspace_id') } : {}),
      },
    };
  }

  /** Decides a tools/call: refused here, or forwarded with these arguments and this idempotency key. */
  decideCall(id: RequestId, name: string, args: Record<string, unknown>): CallDecision {
    if (!this.allowedName(name)) {
      return { refuse: `${name} is not enabled in this bridge (conduit-mcp --tools / --exclude-tools).` };
    }
    const facts = this.facts.get(name);
    const read = facts?.readOnly === true;
    if (this.options.readOnly && !read) {
      return { refuse: `${name} is not a read-only tool, and this bridge runs with --read-only. Nothing was sent to the server.` };
    }
    let out = args;
    let changed = false;
    if (this.options.workspace !== undefined && facts?.takesWorkspace && args.workspace_id === undefined) {
      out = { ...args, workspace_id: this.options.workspace };
      changed = true;
    }
    const hasKey = typeof args.idempotency_key === 'string' && args.idempotency_key.length > 0;
    return { arguments: out, changed, idempotencyKey: read || hasKey ? undefined : this.idempotencyKey(id), read };
  }

  /** A UUID-shaped key derived from this process's seed and the JSON-RPC id. */
  idempotencyKey(id: RequestId): string {
    const hex = createHash('sha256').update(`${this.keySeed}:${typeof id}:${String(id)}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}
