/** Demo timestamps are all relative to one `now`, so the data always looks current. */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export class Clock {
  readonly nowMs: number;

  constructor(now: Date) {
    this.nowMs = now.getTime();
  }

  /** The ISO timestamp `ms` milliseconds before now (negative: in the future). */
  ago(ms: number): string {
    return new Date(this.nowMs - ms).toISOString();
  }

  /** An absolute epoch time as the ISO string every table stores. */
  iso(epochMs: number): string {
    return new Date(epochMs).toISOString();
  }

  /** The UTC calendar date `days` from today (negative: in the past), `YYYY-MM-DD`. */
  date(days: number): string {
    return new Date(this.nowMs + days * DAY).toISOString().slice(0, 10);
  }
}

/** The current time truncated to the minute: the default `now` of a demo seed. */
export function currentMinute(): Date {
  return new Date(Math.floor(Date.now() / MINUTE) * MINUTE);
}
