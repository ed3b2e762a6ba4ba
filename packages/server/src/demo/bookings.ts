import type { Insertable } from 'kysely';
import type { AppointmentStatus, ReservationsTable, ReservationStatus } from '../store/schema.js';
import { DAY, HOUR, MINUTE } from './clock.js';
import { rngFor, type WorkspaceSeed } from './context.js';
import { contactAt, type DemoContact } from './people.js';
import type { StaySpec } from './profile.js';
import { scramble } from './random.js';
import { CODE_ALPHABET, formatMoney, spokenDate } from './text.js';

export interface DemoReservation {
  row: Insertable<ReservationsTable>;
  /** Template values for messages about this stay. */
  vars: { code: string; place: string; room: string; amount: string; checkin: string; checkout: string };
}

/** A scripted guest's stay: reservation #i belongs to scripted guest #i. */
export interface Guest {
  contact: DemoContact;
  stay?: StaySpec | undefined;
}

/** `AH-7Q2K9`: five characters from a bijection of the index, so codes are unique per workspace. */
export function confirmationCode(prefix: string, index: number, seed: number): string {
  let value = scramble(index, 25, seed);
  let code = '';
  for (let i = 0; i < 5; i++) {
    code = (CODE_ALPHABET[value & 31] as string) + code;
    value >>>= 5;
  }
  return `${prefix}-${code}`;
}

/**
 * Reservation #index, a pure function like contactAt, so scripted conversations can quote the
 * code and amount of the stay their guest really has. Reservations are not scaled; they belong
 * to the first scale-1 contacts.
 */
export function reservationAt(ws: WorkspaceSeed, index: number, guest?: Guest): DemoReservation {
  const spec = ws.profile.reservations;
  if (!spec) throw new Error(`demo workspace ${ws.profile.slug} has no reservations`);
  const { clock } = ws.run;
  const rng = rngFor(ws, 'reservation', index);
  const id = rng.id('rs');
  const contact = guest?.contact ?? contactAt(ws.space, rng.int(0, ws.profile.base.contacts - 1));
  const property = rng.pick(spec.properties);
  const room = rng.pick(property.rooms);
  const nights = guest?.stay?.nights ?? rng.weighted([[1, 15], [2, 25], [3, 25], [4, 15], [5, 10], [7, 10]]);
  const checkInDays = guest?.stay?.checkInDays ?? rng.int(-150, 120);
  const checkOutDays = checkInDays + nights;
  const guests = rng.int(1, room.max_guests);
  // Taxes and fees of 12% on top of the nightly rate.
  const total = Math.round(room.nightly_minor * nights * 1.12);

  const today = Math.floor(clock.nowMs / DAY) * DAY;
  const checkInMs = today + checkInDays * DAY + 15 * HOUR;
  const checkOutMs = today + checkOutDays * DAY + 11 * HOUR;
  let status: ReservationStatus;
  if (guest?.stay?.status) status = guest.stay.status;
  else if (checkOutDays <= 0) status = rng.chance(0.88) ? 'checked_out' : 'cancelled';
  else if (checkInDays <= 0) status = 'checked_in';
  else status = rng.chance(0.85) ? 'confirmed' : 'cancelled';

  const createdMs = Math.min(checkInMs - rng.int(1, 120) * DAY, clock.nowMs - HOUR) - rng.int(0, 23) * HOUR;
  const statusChangedMs = {
    confirmed: createdMs,
    checked_in: checkInMs,
    checked_out: checkOutMs,
    cancelled: createdMs + Math.floor(rng.next() * (Math.min(checkInMs, clock.nowMs) - createdMs)),
  }[status];
  const code = confirmationCode(spec.codePrefix, index, ws.run.seed);
  const [checkIn, checkOut] = [clock.date(checkInDays), clock.date(checkOutDays)];
  return {
    row: {
      id,
      workspace_id: ws.id,
      contact_id: contact.id,
      confirmation_code: code,
      property: property.name,
      room_type: room.type,
      check_in: checkIn,
      check_out: checkOut,
      guests,
      status,
      total_amount_minor: total,
      currency: property.currency,
      created_at: clock.iso(createdMs),
      updated_at: clock.iso(Math.max(createdMs, Math.min(statusChangedMs, clock.nowMs))),
    },
    vars: {
      code,
      place: property.name,
      room: room.type,
      amount: formatMoney(total, property.currency),
      checkin: spokenDate(checkIn),
      checkout: spokenDate(checkOut),
    },
  };
}

export async function seedReservations(ws: WorkspaceSeed, guests: readonly Guest[]): Promise<void> {
  if (!ws.profile.reservations) return;
  for (let i = 0; i < ws.profile.base.reservations; i++) {
    await ws.run.out.add('reservations', reservationAt(ws, i, guests[i]).row);
  }
}

/** Appointments from three months back to six weeks ahead; past ones settled, future ones mostly scheduled. */
export async function seedAppointments(ws: WorkspaceSeed): Promise<void> {
  const { clock, out } = ws.run;
  const today = Math.floor(clock.nowMs / DAY) * DAY;
  for (let i = 0; i < ws.profile.base.appointments; i++) {
    const rng = rngFor(ws, 'appointment', i);
    const id = rng.id('ap');
    const kind = rng.weighted(ws.profile.appointments.map((k) => [k, k.weight] as const));
    const contact = rng.chance(0.95) ? contactAt(ws.space, rng.int(0, ws.profile.base.contacts - 1)) : null;
    const startMs = today + rng.int(-90, 45) * DAY + 8 * HOUR + rng.int(0, 40) * 15 * MINUTE;
    const past = startMs < clock.nowMs;
    const status: AppointmentStatus = past
      ? rng.weighted<AppointmentStatus>([['completed', 75], ['cancelled', 13], ['no_show', 12]])
      : rng.chance(0.88) ? 'scheduled' : 'cancelled';
    const createdMs = Math.min(startMs, clock.nowMs) - rng.int(1, 30) * DAY - rng.int(0, 600) * MINUTE;
    // Settled appointments were last touched when they happened; others some time after booking.
    const updatedMs = status === 'completed' || status === 'no_show'
      ? Math.min(startMs + kind.minutes * MINUTE, clock.nowMs)
      : createdMs + Math.floor(rng.next() * (Math.min(startMs, clock.nowMs) - createdMs));
    const note = rng.pick(kind.notes);
    await out.add('appointments', {
      id,
      workspace_id: ws.id,
      contact_id: contact?.id ?? null,
      title: contact ? `${kind.title}: ${contact.name}` : kind.title,
      status,
      starts_at: clock.iso(startMs),
      ends_at: clock.iso(startMs + kind.minutes * MINUTE),
      location: rng.pick(kind.locations),
      notes: note === '' ? null : note,
      created_at: clock.iso(createdMs),
      updated_at: clock.iso(updatedMs),
    });
  }
}
