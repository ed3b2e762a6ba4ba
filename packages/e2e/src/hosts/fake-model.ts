import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A model API on loopback for hosts that only call a tool when their model asks them to: the
 * Anthropic Messages API (Claude Code, `ANTHROPIC_BASE_URL`) and the Gemini API (Gemini CLI,
 * `GOOGLE_GEMINI_BASE_URL`). It plays one scripted turn: when the next planned tool is among the
 * tools the host offers, it answers with a call of that tool; when the host sends the tool's result
 * back, it records it and goes on with the next planned call, or ends the turn with a short text.
 * Every other request (titles, routing, a host's side questions) gets a plain answer.
 */

export interface PlannedCall {
  /** The tool's name as the host exposes it to the model (e.g. `mcp__conduit__list_workspaces`). */
  tool: string;
  args: Record<string, unknown>;
  /**
   * While `tool` is not offered yet, call this one instead, after a pause, up to `times` times: a
   * model that keeps asking a sign-in tool until the tools it needs appear.
   */
  meanwhile?: { tool: string; args: Record<string, unknown>; pauseMs: number; times: number };
}

export interface ToolOutcome {
  tool: string;
  /** The tool result's text as the host passed it to the model. */
  text: string;
  isError: boolean;
}

export interface FakeModel {
  anthropicUrl: string;
  geminiUrl: string;
  /** The next turn calls these tools, one after the other. */
  plan(...calls: PlannedCall[]): void;
  /** Tool names the host offered in its latest request that had tools. */
  offered(): string[];
  outcomes: ToolOutcome[];
  /** Every request: which API and path (for failure messages). */
  requests: string[];
  /** The text of the last user turn of each model request (not a host's structured side question): what the host sent. */
  userTexts: string[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

export async function startFakeModel(): Promise<FakeModel> {
  let planned: PlannedCall[] = [];
  let polls = 0;
  let offered: string[] = [];
  const outcomes: ToolOutcome[] = [];
  const requests: string[] = [];
  const userTexts: string[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      let body: Json = {};
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : {};
      } catch {
        res.writeHead(400).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = url.pathname;
      const fail = (error: unknown) => res.headersSent ? res.destroy() : json(res, { error: { message: String(error) } }, 500);
      if (path === '/v1/messages') anthropic(body, res).catch(fail);
      else if (path === '/v1/messages/count_tokens') json(res, { input_tokens: 1 });
      else if (/^\/v1(beta)?\/models\/[^/]+:countTokens$/.test(path)) json(res, { totalTokens: 1 });
      else if (/^\/v1(beta)?\/models\/[^/]+:(stream)?[gG]enerateContent$/.test(path)) gemini(url.searchParams.get('alt') === 'sse', body, res).catch(fail);
      else json(res, { error: { message: `the fake model API has no ${path}` } }, 404);
    });
  });

  /** Calls answered by the fake and not yet seen coming back with a result: call id → tool. */
  const pending = new Map<string, string>();
  let calls = 0;

  /** The next call to answer with, given the tools the host offers now (none when the plan is done). */
  async function nextCall(tools: string[]): Promise<{ tool: string; args: Record<string, unknown> } | undefined> {
    if (tools.length > 0) offered = tools;
    const next = planned[0];
    if (!next || pending.size > 0) return undefined;
    if (tools.includes(next.tool)) {
      planned.shift();
      polls = 0;
      return next;
    }
    if (next.meanwhile && tools.includes(next.meanwhile.tool) && polls < next.meanwhile.times) {
      // Give the host time to hear that its tools changed before it asks again.
      if (polls++ > 0) await new Promise((resolve) => setTimeout(resolve, next.meanwhile!.pauseMs));
      return next.meanwhile;
    }
    return undefined;
  }

  /** Records a result of a pending call, wherever the host put it in the conversation. */
  function takeResult(id: string, text: string, isError: boolean): void {
    const tool = pending.get(id);
    if (tool === undefined) return;
    pending.delete(id);
    outcomes.push({ tool, text, isError });
  }

  async function anthropic(body: Json, res: ServerResponse): Promise<void> {
    const messages = (body.messages as Array<{ role?: string; content: unknown }> | undefined) ?? [];
    const lastUser = messages.filter((message) => message.role === 'user').at(-1)?.content;
    userTexts.push(textOf(lastUser, '\n'));
    // A host may add its own messages after a tool result (e.g. "more tools are available now").
    for (const message of messages) {
      if (!Array.isArray(message.content)) continue;
      for (const block of message.content as Json[]) {
        if (block.type !== 'tool_result') continue;
        takeResult(String(block.tool_use_id), textOf(block.content, ''), block.is_error === true);
      }
    }
    const tools = ((body.tools as Json[] | undefined) ?? []).map((tool) => String(tool.name));
    const call = await nextCall(tools);
    const id = `toolu_e2e_${++calls}`;
    if (call) pending.set(id, call.tool);
    requests.push(`  ${tools.length} tools, ${messages.length} messages -> ${call ? `call ${call.tool}` : 'text'}`);
    const message = { id: `msg_${requests.length}`, type: 'message', role: 'assistant', model: body.model, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };
    const block = call ? { type: 'tool_use', id, name: call.tool, input: call.args } : { type: 'text', text: 'Done.' };
    const stopReason = call ? 'tool_use' : 'end_turn';
    if (body.stream !== true) {
      json(res, { ...message, content: [block], stop_reason: stopReason });
      return;
    }
    const events: Array<[string, Json]> = [
      ['message_start', { message: { ...message, content: [], stop_reason: null } }],
      ['content_block_start', { index: 0, content_block: call ? { ...block, input: {} } : { type: 'text', text: '' } }],
      ['content_block_delta', { index: 0, delta: call ? { type: 'input_json_delta', partial_json: JSON.stringify(call.args) } : { type: 'text_delta', text: 'Done.' } }],
      ['content_block_stop', { index: 0 }],
      ['message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 1 } }],
      ['message_stop', {}],
    ];
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [type, data] of events) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    res.end();
  }

  async function gemini(streaming: boolean, body: Json, res: ServerResponse): Promise<void> {
    const config = (body.generationConfig as Json | undefined) ?? {};
    let part: Json;
    if (config.responseJsonSchema || config.responseSchema) {
      // A host's own structured question (Gemini CLI routes each prompt by asking the model first).
      part = { text: JSON.stringify(sampleOf((config.responseJsonSchema ?? config.responseSchema) as Json)) };
    } else {
      const contents = (body.contents as Array<{ role?: string; parts?: Json[] }> | undefined) ?? [];
      const lastUser = contents.filter((content) => content.role === 'user').at(-1)?.parts;
      userTexts.push(textOf(lastUser, '\n'));
      // Gemini matches a function's response to its call by name (one call at a time here).
      for (const content of contents) {
        for (const response of (content.parts ?? []).map((p) => p.functionResponse as Json | undefined)) {
          if (!response) continue;
          const output = (response.response as Json | undefined) ?? {};
          takeResult(String(response.name), typeof output.output === 'string' ? output.output : JSON.stringify(output), 'error' in output);
        }
      }
      const declarations = ((body.tools as Json[] | undefined) ?? []).flatMap((tool) => (tool.functionDeclarations as Json[] | undefined) ?? []);
      const call = await nextCall(declarations.map((d) => String(d.name)));
      if (call) pending.set(call.tool, call.tool);
      requests.push(`  ${declarations.length} tools, ${contents.length} contents -> ${call ? `call ${call.tool}` : 'text'}`);
      part = call ? { functionCall: { name: call.tool, args: call.args } } : { text: 'Done.' };
    }
    const answer = {
      candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
    };
    if (streaming) res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${JSON.stringify(answer)}\r\n\r\n`);
    else json(res, answer);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    anthropicUrl: base,
    geminiUrl: base,
    plan: (...calls) => {
      pending.clear();
      polls = 0;
      planned = calls;
    },
    offered: () => offered,
    outcomes,
    requests,
    userTexts,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The text of message content: a string, or the text of its blocks (Anthropic) or parts (Gemini) joined by `separator`. */
function textOf(content: unknown, separator: string): string {
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? (content as Json[]).map((block) => String(block.text ?? '')).join(separator) : '';
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The smallest value of a (Gemini-style, upper-case types allowed) JSON schema's shape. */
function sampleOf(schema: Json | undefined): unknown {
  if (!schema) return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (String(schema.type ?? '').toLowerCase()) {
    case 'object':
      return Object.fromEntries(Object.entries((schema.properties as Record<string, Json> | undefined) ?? {}).map(([key, sub]) => [key, sampleOf(sub)]));
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'string':
      return 'simple';
    default:
      return null;
  }
}
