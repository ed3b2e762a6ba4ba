import type { Selectable } from 'kysely';
import { z } from 'zod';
import { notFound } from '../core/errors.js';
import type { CallsTable } from '../store/schema.js';
import { defineTool } from './define.js';
import { afterPosition, decodeCursor, pageSchema, paginationShape, toPage, type CursorScope } from './pagination.js';
import { idSchema, jsonArray, timeFilter, timestampOut, workspaceIdSchema } from './schemas.js';

/** Lists show the start of a call's summary; get_call has it whole, with the transcript. */
export const CALL_SUMMARY_PREVIEW_CHARS = 280;

const directionSchema = z.enum(['inbound', 'outbound']);
const callStatusSchema = z.enum(['completed', 'missed', 'voicemail', 'failed']);

const callSummary = z.object({
  id: z.string(),
  contact_id: z.string().nullable().describe('The caller or callee, when the number matched a contact.'),
  direction: directionSchema,
  status: callStatusSchema,
  from_number: z.string(),
  to_number: z.string(),
  started_at: timestampOut,
  duration_seconds: z.number().int(),
  summary: z
    .string()
    .nullable()
    .describe(`What the call was about; cut to ${CALL_SUMMARY_PREVIEW_CHARS} characters (ending in "…") in lists.`),
});

const transcriptTurn = z.object({
  speaker: z.enum(['contact', 'agent', 'user']).describe('contact: the customer; agent: an AI agent; user: a team member.'),
  name: z.string().nullable(),
  text: z.string(),
  at_seconds: z.number().describe('Seconds from the start of the call.'),
});

const callOut = callSummary.extend({
  summary: z.string().nullable().describe('What the call was about, in full.'),
  ended_at: z.string().nullable().describe('ISO 8601 UTC; null for calls that never connected.'),
  transcript: z.array(transcriptTurn).describe('The conversation turn by turn, in order; empty when there was none.'),
  created_at: timestampOut,
});

type CallRow = Selectable<CallsTable>;

function preview(text: string | null, max: number): string | null {
  if (text === null || text.length <= max) return text;
  return `${text.slice(0, max - 1).trimEnd()}…`;
}

function toCallSummary(row: CallRow): z.input<typeof callSummary> {
  return {
    id: row.id,
    contact_id: row.contact_id,
    direction: row.direction,
    status: row.status,
    from_number: row.from_number,
    to_number: row.to_number,
    started_at: row.started_at,
    duration_seconds: row.duration_seconds,
    summary: preview(row.summary, CALL_SUMMARY_PREVIEW_CHARS),
  };
}

interface StoredTurn {
  speaker?: unknown;
  name?: unknown;
  text?: unknown;
  at_seconds?: unknown;
}

function toTurn(turn: StoredTurn): z.input<typeof transcriptTurn> {
  return {
    speaker: turn.speaker as z.input<typeof transcriptTurn>['speaker'],
    name: typeof turn.name === 'string' ? turn.name : null,
    text: typeof turn.text === 'string' ? turn.text : '',
    at_seconds: typeof turn.at_seconds === 'number' ? turn.at_seconds : 0,
  };
}

export const listCalls = defineTool({
  name: 'list_calls',
  title: 'List calls',
  description:
    'List phone calls in a workspace, most recent first, optionally for one contact, by direction, by outcome (status: completed, missed, voicemail, failed) and by start time (e.g. started_after = 24 hours ago for "calls today"). Returns summaries without transcripts; use get_call for the full summary and the transcript.',
  kind: 'read',
  input: z.object({
    workspace_id: workspaceIdSchema,
    contact_id: idSchema('ct', 'Contact').optional().describe('Only calls with this contact (ct_…).'),
    direction: directionSchema.optional().describe('inbound: the customer called; outbound: the business called.'),
    status: callStatusSchema.optional().describe('Only calls with this outcome.'),
    started_after: timeFilter('Only calls that started at or after this time.'),
    started_before: timeFilter('Only calls that started before this time.'),
    ...paginationShape,
  }),
  output: pageSchema(callSummary),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const scope: CursorScope = { tool: 'list_calls', workspaceId: workspace.id, filters: args };
    let query = ctx.db.selectFrom('calls').selectAll().where('workspace_id', '=', workspace.id);
    if (args.contact_id) query = query.where('contact_id', '=', args.contact_id);
    if (args.direction) query = query.where('direction', '=', args.direction);
    if (args.status) query = query.where('status', '=', args.status);
    if (args.started_after) query = query.where('started_at', '>=', args.started_after);
    if (args.started_before) query = query.where('started_at', '<', args.started_before);
    if (args.cursor) query = query.where(afterPosition('started_at', 'seq', 'desc', decodeCursor(ctx.cursorKey, scope, args.cursor)));
    const rows = await query.orderBy('started_at', 'desc').orderBy('seq', 'desc').limit(args.limit + 1).execute();
    return toPage(rows, args.limit, toCallSummary, {
      key: ctx.cursorKey,
      scope,
      positionOf: (row) => [row.started_at, row.seq],
    });
  },
});

export const getCall = defineTool({
  name: 'get_call',
  title: 'Get call',
  description:
    'Get one phone call with everything: numbers, direction, outcome, start and end time, duration_seconds, the full summary and the transcript as turns (speaker, name, text, at_seconds).',
  kind: 'read',
  input: z.object({ workspace_id: workspaceIdSchema, call_id: idSchema('cl', 'Call') }),
  output: callOut,
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const row = await ctx.db
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', args.call_id)
      .where('workspace_id', '=', workspace.id)
      .executeTakeFirst();
    if (!row) throw notFound('Call', args.call_id);
    return {
      ...toCallSummary(row),
      summary: row.summary,
      ended_at: row.ended_at,
      transcript: jsonArray<StoredTurn>(row.transcript).map(toTurn),
      created_at: row.created_at,
    };
  },
});

export const callTools = [listCalls, getCall];
