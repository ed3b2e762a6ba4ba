import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { ReservationsTable } from '../store/schema.js';
import { defineGetTool } from './get-tool.js';
import { narrow } from './list-filters.js';
import { defineListTool } from './list-tool.js';
import { dateSchema, idSchema, timestampOut } from './schemas.js';

const reservationStatusSchema = z.enum(['confirmed', 'cancelled', 'checked_in', 'checked_out']);

/**
 * ISO 4217 currencies whose minor unit is not a hundredth. Written out rather than asked of
 * Intl, whose CLDR data differs from ISO 4217 for a few currencies and between ICU versions.
 */
const MINOR_UNIT_DIGITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0,
  UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/**
 * Minor units (as stored) to major units. Dividing an integer by a power of ten yields the
 * double nearest the decimal, which JSON prints as that decimal (123456 USD → 1234.56).
 */
export function toMajorUnits(minor: number, currency: string): number {
  return minor / 10 ** (MINOR_UNIT_DIGITS[currency.toUpperCase()] ?? 2);
}

const reservationOut = z.object({
  id: z.string(),
  confirmation_code: z.string(),
  property: z.string().describe('The hotel or property name.'),
  room_type: z.string(),
  check_in: z.string().describe('Arrival date, YYYY-MM-DD.'),
  check_out: z.string().describe('Departure date, YYYY-MM-DD.'),
  guests: z.number().int(),
  status: reservationStatusSchema,
  total_amount: z.number().describe('Total price in major units of currency, e.g. 1234.56 for USD 1,234.56.'),
  currency: z.string().describe('ISO 4217 code, e.g. USD.'),
  contact_id: z.string().nullable().describe('The guest who booked (ct_…), when known.'),
  created_at: timestampOut,
  updated_at: timestampOut,
});

type ReservationRow = Selectable<ReservationsTable>;

function toReservation(row: ReservationRow): z.input<typeof reservationOut> {
  return { ...row, total_amount: toMajorUnits(row.total_amount_minor, row.currency) };
}

export const listReservations = defineListTool({
  name: 'list_reservations',
  title: 'List reservations',
  description:
    'List hotel reservations in a workspace by arrival date, earliest first, optionally for one contact, by status (confirmed, cancelled, checked_in, checked_out), by check-in date range, or by confirmation code (exact, case-insensitive: the quickest way to find the booking a guest quotes). Every field is short, so items are complete reservations, the same as get_reservation returns.',
  filters: {
    contact_id: idSchema('ct', 'Contact').optional().describe('Only reservations of this contact (ct_…).'),
    status: reservationStatusSchema.optional().describe('Only reservations with this status.'),
    check_in_after: dateSchema.optional().describe('Only reservations arriving on or after this date, YYYY-MM-DD.'),
    check_in_before: dateSchema.optional().describe('Only reservations arriving before this date (exclusive), YYYY-MM-DD.'),
    confirmation_code: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .describe('The booking\'s confirmation code as the guest gives it; letter case is ignored.'),
  },
  item: reservationOut,
  rows: (args, ctx, workspace) => {
    const reservations = narrow(ctx.db.selectFrom('reservations').selectAll().where('workspace_id', '=', workspace.id), {
      equal: { contact_id: args.contact_id, status: args.status },
      between: { column: 'check_in', after: args.check_in_after, before: args.check_in_before },
    });
    // Codes are ASCII, so lower() agrees across dialects.
    const code = args.confirmation_code?.toLowerCase();
    return code === undefined ? reservations : reservations.where(sql<string>`lower(confirmation_code)`, '=', code);
  },
  order: { column: 'check_in', direction: 'asc' },
  toItem: toReservation,
});

export const getReservation = defineGetTool({
  name: 'get_reservation',
  title: 'Get reservation',
  description:
    'Get one reservation: confirmation code, property, room type, check-in and check-out dates, guests, status, total amount with currency, and the guest\'s contact_id. To find one by the code a guest quotes, use list_reservations with confirmation_code.',
  row: { table: 'reservations', argument: 'reservation_id', schema: idSchema('rs', 'Reservation') },
  output: reservationOut,
  toItem: toReservation,
});

export const reservationTools = [listReservations, getReservation];
