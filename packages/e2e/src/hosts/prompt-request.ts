import { expect } from 'vitest';

/**
 * What `triage_tickets` for acme-hotels over 7 days asks of the model, as a host sent it: the
 * request the server's prompts/get wrote, with the window turned into `updated_after` (to the
 * minute, when the host got the prompt: at or after `startedAt`).
 */
export function expectTriageRequest(text: string, startedAt: number): void {
  expect(text).toContain('For the "acme-hotels" workspace, list every open helpdesk ticket touched in the last 7 days');
  expect(text).toContain('Use list_tickets with workspace_id "acme-hotels", status "open"');
  const since = Date.parse(/updated_after "([^"]+)"/.exec(text)?.[1] ?? '');
  const week = 7 * 24 * 3_600_000;
  expect(since).toBeGreaterThanOrEqual(startedAt - week - 60_000);
  expect(since).toBeLessThanOrEqual(Date.now() - week);
}
