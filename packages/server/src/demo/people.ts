import type { Channel } from '../store/schema.js';
import { DAY, type Clock } from './clock.js';
import { FIRST_NAMES, LAST_NAMES, asciiFold } from './names.js';
import { streamRng, type Rng } from './random.js';

export type Country = 'US' | 'GB' | 'DE' | 'AU' | 'FR';

/** Where a workspace's contacts come from and when they first got in touch. */
export interface ContactSpace {
  seed: number;
  slug: string;
  clock: Clock;
  countries: ReadonlyArray<readonly [Country, number]>;
  /** Oldest contact, in days before now. */
  historyDays: number;
}

export interface DemoContact {
  index: number;
  id: string;
  first_name: string;
  last_name: string | null;
  /** "First Last" as shown in messages. */
  name: string;
  email: string | null;
  phone: string | null;
  whatsapp: string | null;
  /** The contact's number in E.164 (as dialled for calls), whether given as phone or WhatsApp. */
  e164: string | null;
  archived: boolean;
  ai_paused: boolean;
  created_at: string;
  updated_at: string;
}

const NAME_PAIRS = FIRST_NAMES.length * LAST_NAMES.length;
/** Coprime with NAME_PAIRS, so index → name pair is a permutation within each cycle. */
const NAME_STRIDE = 7919;

const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'inbox.example', 'post.example'];
const WORK_DOMAINS = ['globex.example', 'initech.example', 'umbrella-travel.example', 'wayne-enterprises.example'];

/**
 * Contact #index of a workspace, a pure function of (seed, workspace, index): other generators
 * call it again instead of holding every contact in memory. Names, emails and phone numbers
 * are unique per workspace by construction (the unique indexes on email_norm and phone_norm
 * hold at any scale): the name pair is a permutation of the index, and the phone number is
 * built from the index itself.
 */
export function contactAt(space: ContactSpace, index: number): DemoContact {
  const rng = streamRng(space.seed, `${space.slug}/contact`, index);
  const id = rng.id('ct');
  const pair = (NAME_STRIDE * (index % NAME_PAIRS) + (space.seed % NAME_PAIRS)) % NAME_PAIRS;
  const first = FIRST_NAMES[pair % FIRST_NAMES.length] as string;
  const last = LAST_NAMES[Math.floor(pair / FIRST_NAMES.length)] as string;
  const cycle = Math.floor(index / NAME_PAIRS);
  // Web-chat leads often give a first name only.
  const lastName = rng.chance(0.04) ? null : last;

  const hasPhone = rng.chance(0.85);
  let hasEmail = rng.chance(0.88);
  const country = rng.weighted(space.countries);
  const number = phoneNumber(country, index);
  const phone = hasPhone ? formatPhone(rng, country, number) : null;
  // WhatsApp is far more common outside the US; a few contacts reach us on WhatsApp only.
  const whatsapp = (hasPhone && rng.chance(country === 'US' ? 0.2 : 0.6)) || (!hasPhone && rng.chance(0.3)) ? number.e164 : null;
  if (!phone && !whatsapp) hasEmail = true;

  const createdMs = space.clock.nowMs - rng.int(1, space.historyDays) * DAY - rng.int(0, DAY - 1);
  const updatedMs = createdMs + Math.floor(rng.next() * (space.clock.nowMs - createdMs));
  return {
    index,
    id,
    first_name: first,
    last_name: lastName,
    name: lastName ? `${first} ${lastName}` : first,
    email: hasEmail ? emailFor(rng, first, last, cycle) : null,
    phone,
    whatsapp,
    e164: phone || whatsapp ? number.e164 : null,
    archived: rng.chance(0.03),
    ai_paused: rng.chance(0.07),
    created_at: space.clock.iso(createdMs),
    updated_at: space.clock.iso(updatedMs),
  };
}

/** The channels a contact can be reached on. */
export function channelsOf(contact: DemoContact): Channel[] {
  const channels: Channel[] = ['webchat'];
  if (contact.email) channels.push('email');
  if (contact.phone) channels.push('sms', 'voice');
  if (contact.whatsapp) channels.push('whatsapp');
  return channels;
}

function emailFor(rng: Rng, first: string, last: string, cycle: number): string {
  const f = asciiFold(first);
  const l = asciiFold(last);
  // Every style keeps both names whole, so two different name pairs never produce the same address.
  let local = rng.weighted<string>([
    [`${f}.${l}`, 5],
    [`${f}_${l}`, 1],
    [`${l}.${f}`, 1],
    [`${f}.${l}${rng.int(70, 99)}`, 2],
  ]);
  if (cycle > 0) local += `+${cycle + 1}`;
  const domain = rng.chance(0.15) ? rng.pick(WORK_DOMAINS) : rng.pick(EMAIL_DOMAINS);
  // Some people type their address capitalised (Anna.Kim@…); search must still find them.
  if (rng.chance(0.1)) local = local.replace(/(^|[._])([a-z])/g, (_, sep: string, ch: string) => sep + ch.toUpperCase());
  return `${local}@${domain}`;
}

interface PhoneNumber {
  /** National significant digits, without the trunk 0. */
  national: string;
  e164: string;
}

/** US area codes for fictional 555 numbers; none begins like another country's calling code. */
const US_AREAS = ['415', '212', '312', '617', '206', '303', '512', '702', '808', '305', '404', '503', '619', '718', '213', '646', '720', '971', '858', '773'];

/**
 * A number unique to the index within its country, in the ranges set aside for drama and
 * testing where they are big enough (US 555-01xx, UK 07700 900xxx, AU 0491 570xxx, FR 0639 98xxxx).
 */
function phoneNumber(country: Country, index: number): PhoneNumber {
  switch (country) {
    case 'US': {
      const area = US_AREAS[index % US_AREAS.length] as string;
      const line = String(5550100 + Math.floor(index / US_AREAS.length));
      return { national: `${area}${line}`, e164: `+1${area}${line}` };
    }
    case 'GB':
      return withCode('44', `7700${900000 + index}`);
    case 'DE':
      return withCode('49', `176${20000000 + index}`);
    case 'AU':
      return withCode('61', `491${570000 + index}`);
    case 'FR':
      return withCode('33', `639${980000 + index}`);
  }
}

function withCode(code: string, national: string): PhoneNumber {
  return { national, e164: `+${code}${national}` };
}

/** Digit groups after the trunk prefix, per country: `07700 900123`, `0491 570 123`, `06 39 98 01 23`. */
const GROUPS: Record<Exclude<Country, 'US'>, number[]> = { GB: [4], DE: [3], AU: [3, 3], FR: [1, 2, 2, 2] };

/** The same number written the many ways people type it. */
function formatPhone(rng: Rng, country: Country, number: PhoneNumber): string {
  const n = number.national;
  if (country === 'US') {
    const [a, b, c] = [n.slice(0, 3), n.slice(3, 6), n.slice(6)];
    return rng.pick([`+1 ${a}-${b}-${c}`, `(${a}) ${b}-${c}`, `${a}.${b}.${c}`, number.e164, `+1 (${a}) ${b} ${c}`]);
  }
  const parts: string[] = [];
  let at = 0;
  for (const size of GROUPS[country]) parts.push(n.slice(at, (at += size)));
  if (at < n.length) parts.push(n.slice(at));
  const grouped = parts.join(' ');
  const code = number.e164.slice(1, number.e164.length - n.length);
  return rng.pick([`+${code} ${grouped}`, `0${grouped}`, number.e164]);
}
