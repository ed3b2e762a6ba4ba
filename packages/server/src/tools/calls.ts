import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { CallsTable } from '../store/schema.js';
import { defineGetTool } from './get-tool.js';
import { narrow } from './list-filters.js';
import { defineListTool } from './list-tool.js';
import { idSchema, jsonArray, timeFilter, timestampOut } from './schemas.js';

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
  return { ...row, summary: preview(row.summary, CALL_SUMMARY_PREVIEW_CHARS) };
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

export const listCalls = defineListTool({
  name: 'list_calls',
  title: 'List calls',
  description:
    'List phone calls in a workspace, most recent first, optionally for one contact, by direction, by outcome (status: completed, missed, voicemail, failed) and by start time (e.g. started_after = 24 hours ago for "calls today"). Returns summaries without transcripts; use get_call for the full summary and the transcript.',
  filters: {
    contact_id: idSchema('ct', 'Contact').optional().describe('Only calls with this contact (ct_…).'),
    direction: directionSchema.optional().describe('inbound: the customer called; outbound: the business called.'),
    status: callStatusSchema.optional().describe('Only calls with this outcome.'),
    started_after: timeFilter('Only calls that started at or after this time.'),
    started_before: timeFilter('Only calls that started before this time.'),
  },
  item: callSummary,
  rows: (args, ctx, workspace) =>
    narrow(ctx.db.selectFrom('calls').selectAll().where('workspace_id', '=', workspace.id), {
      equal: { contact_id: args.contact_id, direction: args.direction, status: args.status },
      between: { column: 'started_at', after: args.started_after, before: args.started_before },
    }),
  order: { column: 'started_at', direction: 'desc' },
  toItem: toCallSummary,
});

export const getCall = defineGetTool({
  name: 'get_call',
  title: 'Get call',
  description:
    'Get one phone call with everything: numbers, direction, outcome, start and end time, duration_seconds, the full summary and the transcript as turns (speaker, name, text, at_seconds).',
  row: { table: 'calls', argument: 'call_id', schema: idSchema('cl', 'Call') },
  output: callOut,
  // The summary whole, as stored; lists cut it.
  toItem: (row) => ({ ...row, transcript: jsonArray<StoredTurn>(row.transcript).map(toTurn) }),
});

export const callTools = [listCalls, getCall];
