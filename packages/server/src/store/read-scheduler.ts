/**
 * Who runs next among the heavy reads (searches) waiting for one of a fixed number of slots —
 * the read pool's worker threads on SQLite, the connections searches may hold at once on
 * PostgreSQL. Waiting reads are kept per workspace. A freed slot goes to the workspace with the
 * fewest reads running (the longest waiting first among equals), and no workspace runs more than
 * its share while another waits: the slots divided by the workspaces with reads running or
 * waiting, rounded up, and never more than `perWorkspace`. A workspace alone may use every slot
 * (up to `perWorkspace`); slots are not taken back from reads under way, which the ranking's cap
 * keeps short (store/conversation-ranking.ts).
 *
 * A read whose signal aborts while it waits is dropped without running; one that aborts while
 * running is the task's own business (the pool tells its worker to stop at the next step).
 */

export interface ReadSchedulerOptions {
  /** Reads running at once. */
  slots: number;
  /** Most reads one workspace may run at once, even alone. */
  perWorkspace: number;
}

/** Counters since start, and what is running and waiting now. */
export interface ReadSchedulerStats {
  slots: number;
  running: number;
  waiting: number;
  /** Reads that ran to the end (successfully or not). */
  completed: number;
  /** Reads dropped while waiting because their client went away. */
  dropped: number;
}

/** The scheduler's figures and the reads told to stop while running because their client went away. */
export interface ReadPoolStats extends ReadSchedulerStats {
  stopped: number;
}

interface Waiting {
  workspaceId: string;
  since: number;
  start: () => void;
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export class ReadScheduler {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly runningBy = new Map<string, number>();
  private running = 0;
  private arrivals = 0;
  private completed = 0;
  private dropped = 0;

  constructor(private readonly options: ReadSchedulerOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new Error(`read scheduler slots must be a whole number ≥ 1, got ${options.slots}`);
    if (!Number.isInteger(options.perWorkspace) || options.perWorkspace < 1) {
      throw new Error(`read scheduler per-workspace bound must be a whole number ≥ 1, got ${options.perWorkspace}`);
    }
  }

  /** Runs `task` in a slot once the workspace's turn comes; rejects at once if `signal` aborts while it waits. */
  run<T>(workspaceId: string, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    if (signal?.aborted) {
      this.dropped += 1;
      return Promise.reject(abortError(signal));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = {
        workspaceId,
        since: this.arrivals++,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running += 1;
          this.runningBy.set(workspaceId, (this.runningBy.get(workspaceId) ?? 0) + 1);
          task()
            .then(resolve, reject)
            .finally(() => {
              this.running -= 1;
              const left = (this.runningBy.get(workspaceId) ?? 1) - 1;
              if (left === 0) this.runningBy.delete(workspaceId);
              else this.runningBy.set(workspaceId, left);
              this.completed += 1;
              this.dispatch();
            });
        },
      };
      const onAbort = () => {
        const queue = this.waiting.get(workspaceId);
        const at = queue?.indexOf(entry) ?? -1;
        if (!queue || at < 0) return;
        queue.splice(at, 1);
        if (queue.length === 0) this.waiting.delete(workspaceId);
        this.dropped += 1;
        reject(abortError(signal as AbortSignal));
        // Fewer workspaces waiting can raise the others' share.
        this.dispatch();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const queue = this.waiting.get(workspaceId);
      if (queue) queue.push(entry);
      else this.waiting.set(workspaceId, [entry]);
      this.dispatch();
    });
  }

  stats(): ReadSchedulerStats {
    let waiting = 0;
    for (const queue of this.waiting.values()) waiting += queue.length;
    return { slots: this.options.slots, running: this.running, waiting, completed: this.completed, dropped: this.dropped };
  }

  /** How many reads a workspace may run now. */
  private share(): number {
    const active = new Set([...this.waiting.keys(), ...this.runningBy.keys()]).size;
    return Math.min(this.options.perWorkspace, Math.ceil(this.options.slots / Math.max(1, active)));
  }

  private dispatch(): void {
    while (this.running < this.options.slots) {
      const share = this.share();
      let next: Waiting | undefined;
      let nextRunning = Number.POSITIVE_INFINITY;
      for (const [workspaceId, queue] of this.waiting) {
        const running = this.runningBy.get(workspaceId) ?? 0;
        const head = queue[0] as Waiting;
        if (running >= share) continue;
        if (running < nextRunning || (running === nextRunning && head.since < (next as Waiting).since)) {
          next = head;
          nextRunning = running;
        }
      }
      if (!next) return;
      const queue = this.waiting.get(next.workspaceId) as Waiting[];
      queue.shift();
      if (queue.length === 0) this.waiting.delete(next.workspaceId);
      next.start();
    }
  }
}
