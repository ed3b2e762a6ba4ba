/**
 * How people's names and addresses are compared: one definition for the contact tools, the demo
 * seeder, sign-in and the admin commands, so a value stored by one is found by the others.
 */

/** Lower-cased, trimmed: email addresses are matched without regard to case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Digits only: "+1 (415) 555-0100" and "14155550100" are the same number. */
export function normalizePhone(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** Lower-cased "first last", what name search matches against. */
export function normalizeName(firstName: string | null, lastName: string | null): string {
  return [firstName, lastName].filter(Boolean).join(' ').toLowerCase();
}
