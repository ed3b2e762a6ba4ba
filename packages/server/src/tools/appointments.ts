import { z } from 'zod';
import { defineGetTool } from './get-tool.js';
import { narrow } from './list-filters.js';
import { defineListTool } from './list-tool.js';
import { idSchema, timeFilter, timestampOut } from './schemas.js';

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

export const listAppointments = defineListTool({
  name: 'list_appointments',
  title: 'List appointments',
  description:
    'List appointments in a workspace in start-time order, earliest first (so starts_after = now gives the next upcoming ones), optionally for one contact, by status (scheduled, completed, cancelled, no_show) and by start time. Returns summaries; use get_appointment for the notes.',
  filters: {
    contact_id: idSchema('ct', 'Contact').optional().describe('Only appointments of this contact (ct_…).'),
    status: appointmentStatusSchema.optional().describe('Only appointments with this status.'),
    starts_after: timeFilter('Only appointments starting at or after this time.'),
    starts_before: timeFilter('Only appointments starting before this time.'),
  },
  item: appointmentSummary,
  rows: (args, ctx, workspace) =>
    narrow(ctx.db.selectFrom('appointments').selectAll().where('workspace_id', '=', workspace.id), {
      equal: { contact_id: args.contact_id, status: args.status },
      between: { column: 'starts_at', after: args.starts_after, before: args.starts_before },
    }),
  order: { column: 'starts_at', direction: 'asc' },
  toItem: (row) => row,
});

export const getAppointment = defineGetTool({
  name: 'get_appointment',
  title: 'Get appointment',
  description: 'Get one appointment with all its fields: title, status, start and end time, location, contact and notes.',
  row: { table: 'appointments', argument: 'appointment_id', schema: idSchema('ap', 'Appointment') },
  output: appointmentOut,
  toItem: (row) => row,
});

export const appointmentTools = [listAppointments, getAppointment];
