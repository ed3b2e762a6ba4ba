import { expect } from 'vitest';
import type { AnyTool, CallContext } from '../src/tools/define.js';
import { callOk } from './helpers.js';

export interface PageOf<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}

/**
 * Follows next_cursor from the first page to the last and returns every item in order,
 * checking on the way that has_more and next_cursor agree and that no page exceeds the limit.
 */
export async function collectPages<T>(
  tool: AnyTool,
  args: Record<string, unknown>,
  ctx: CallContext,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await callOk<PageOf<T>>(tool, { ...args, limit, ...(cursor ? { cursor } : {}) }, ctx);
    expect(page.data.length).toBeLessThanOrEqual(limit);
    expect(page.has_more).toBe(page.next_cursor !== null);
    items.push(...page.data);
    cursor = page.next_cursor ?? undefined;
    pages++;
    if (pages > 1000) throw new Error('pagination does not terminate');
  } while (cursor);
  return { items, pages };
}
