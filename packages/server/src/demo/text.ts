/** Fills `{name}` placeholders; an unknown placeholder is a bug in the templates, so it throws. */
export function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`demo template placeholder {${key}} has no value: ${template}`);
    return value;
  });
}

// Built once: toLocaleString() with options builds a new Intl formatter on every call, which
// was half of the demo generator's time (seeding a million messages formats ~200,000 of each).
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const SPOKEN_DATE = new Intl.DateTimeFormat('en-US', { month: 'long', day: 'numeric', timeZone: 'UTC' });

/** Money for message text: `$412.80`, `€95.00`, `£1,240.50`. */
export function formatMoney(minor: number, currency: string): string {
  const symbol = ({ USD: '$', EUR: '€', GBP: '£' } as Record<string, string>)[currency] ?? `${currency} `;
  return `${symbol}${MONEY.format(minor / 100)}`;
}

/** `March 14` style dates for message text, from a `YYYY-MM-DD` date. */
export function spokenDate(date: string): string {
  return SPOKEN_DATE.format(new Date(`${date}T12:00:00Z`));
}

/** Confirmation-code characters: 32 of them, without 0/O and 1/I, which guests misread. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
