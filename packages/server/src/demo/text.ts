/** Fills `{name}` placeholders; an unknown placeholder is a bug in the templates, so it throws. */
export function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`demo template placeholder {${key}} has no value: ${template}`);
    return value;
  });
}

/** Money for message text: `$412.80`, `€95.00`, `£1,240.50`. */
export function formatMoney(minor: number, currency: string): string {
  const symbol = ({ USD: '$', EUR: '€', GBP: '£' } as Record<string, string>)[currency] ?? `${currency} `;
  const major = (minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${symbol}${major}`;
}

/** `March 14` style dates for message text, from a `YYYY-MM-DD` date. */
export function spokenDate(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString('en-US', { month: 'long', day: 'numeric', timeZone: 'UTC' });
}

/** Confirmation-code characters: 32 of them, without 0/O and 1/I, which guests misread. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
