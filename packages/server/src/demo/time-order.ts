import type { Insertable } from 'kysely';
import type { MessagesTable } from '../store/schema.js';

interface Entry {
  atMs: number;
  /** Arrival order: equal times come out in the order they went in. */
  order: number;
  row: Insertable<MessagesTable>;
}

/**
 * The messages of the conversations under way, smallest time first (a binary heap). Conversations
 * start in time order, so once the next one starts at `t`, every message up to `t` can be written.
 */
export class TimeOrderedRows {
  private readonly heap: Entry[] = [];
  private arrivals = 0;

  add(rows: ReadonlyArray<{ atMs: number; row: Insertable<MessagesTable> }>): void {
    for (const { atMs, row } of rows) {
      this.heap.push({ atMs, order: this.arrivals++, row });
      this.up(this.heap.length - 1);
    }
  }

  /** Removes and returns, in order, the rows at or before `atMs`. */
  *takeUntil(atMs: number): Generator<Insertable<MessagesTable>> {
    while (this.heap.length > 0 && (this.heap[0] as Entry).atMs <= atMs) {
      const top = this.heap[0] as Entry;
      const last = this.heap.pop() as Entry;
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.down(0);
      }
      yield top.row;
    }
  }

  private before(a: Entry, b: Entry): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
  }

  private up(i: number): void {
    const { heap } = this;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i] as Entry, heap[parent] as Entry)) return;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  private down(i: number): void {
    const { heap } = this;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.before(heap[left] as Entry, heap[smallest] as Entry)) smallest = left;
      if (right < heap.length && this.before(heap[right] as Entry, heap[smallest] as Entry)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry, heap[i] as Entry];
      i = smallest;
    }
  }
}
