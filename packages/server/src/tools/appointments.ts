import type { Selectable } from 'kysely';
import { z } from 'zod';
import { notFound } from '../core/errors.js';
import type { AppointmentsTable } from '../store/schema.js';
import { defineTool } from './define.js';
import { afterPosition, decodeCursor, pageSchema, paginationShape, toPage, type CursorScope } from './pagination.js';
import { idSchema, timeFilter, timestampOut, workspaceIdSchema } from './schemas.js';

const appointmentStatusSchema = z.enum(['scheduled', 'completed', 'cancelled', 'no_show']);

const appointmentSummary = z.object({
  id: z.string(),
  contact_id: z.string().nullable(),
  title: z.string(),
  status: appointmentStatusSchema,
  starts_at: timestampOut,
  ends_at: timestampOut,
  location: z.string().nullable(),
  updated_at: timestampOut,
});

const appointmentOut = appointmentSummary.extend({
  notes: z.string().nullable(),
  created_at: timestampOut,
});

type AppointmentRow = Selectable<AppointmentsTable>;

function toAppointmentSummary(row: AppointmentRow): z.input<typeof appointmentSummary> {
  return {
    id: row.id,
    contact_id: row.contact_id,
    title: row.title,
    status: row.status,
    starts_at: row.starts_at,
    ends_at: row.ends_at,
    location: row.location,
    updated_at: row.updated_at,
  };
}

export const listAppointments = defineTool({
  name: 'list_appointments',
  title: 'List appointments',
  description:
    'List appointments in a workspace in start-time order, earliest first (so starts_after = now gives the next upcoming ones), optionally for one contact, by status (scheduled, completed, cancelled, no_show) and by start time. Returns summaries; use get_appointment for the notes.',
  kind: 'read',
  input: z.object({
    workspace_id: workspaceIdSchema,
    contact_id: idSchema('ct', 'Contact').optional().describe('Only appointments of this contact (ct_…).'),
    status: appointmentStatusSchema.optional().describe('Only appointments with this status.'),
    starts_after: timeFilter('Only appointments starting at or after this time.'),
    starts_before: timeFilter('Only appointments starting before this time.'),
    ...paginationShape,
  }),
  output: pageSchema(appointmentSummary),
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const scope: CursorScope = { tool: 'list_appointments', workspaceId: workspace.id, filters: args };
    let query = ctx.db.selectFrom('appointments').selectAll().where('workspace_id', '=', workspace.id);
    if (args.contact_id) query = query.where('contact_id', '=', args.contact_id);
    if (args.status) query = query.where('status', '=', args.status);
    if (args.starts_after) query = query.where('starts_at', '>=', args.starts_after);
    if (args.starts_before) query = query.where('starts_at', '<', args.starts_before);
    if (args.cursor) query = query.where(afterPosition('starts_at', 'seq', 'asc', decodeCursor(ctx.cursorKey, scope, args.cursor)));
    const rows = await query.orderBy('starts_at', 'asc').orderBy('seq', 'asc').limit(args.limit + 1).execute();
    return toPage(rows, args.limit, toAppointmentSummary, {
      key: ctx.cursorKey,
      scope,
      positionOf: (row) => [row.starts_at, row.seq],
    });
  },
});

export const getAppointment = defineTool({
  name: 'get_appointment',
  title: 'Get appointment',
  description: 'Get one appointment with all its fields: title, status, start and end time, location, contact and notes.',
  kind: 'read',
  input: z.object({ workspace_id: workspaceIdSchema, appointment_id: idSchema('ap', 'Appointment') }),
  output: appointmentOut,
  async handler(args, ctx) {
    const workspace = await ctx.workspace(args.workspace_id);
    const row = await ctx.db
      .selectFrom('appointments')
      .selectAll()
      .where('id', '=', args.appointment_id)
      .where('workspace_id', '=', workspace.id)
      .executeTakeFirst();
    if (!row) throw notFound('Appointment', args.appointment_id);
    return { ...toAppointmentSummary(row), notes: row.notes, created_at: row.created_at };
  },
});

export const appointmentTools = [listAppointments, getAppointment];
