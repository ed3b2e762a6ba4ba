import { Worker } from 'node:worker_threads';
import { abortError, ReadScheduler, type ReadPoolStats } from '../read-scheduler.js';
import type { SearchBackend, SearchOptions } from '../search.js';
import { READ_WORKER_URL } from './read-worker-url.js';

/**
 * Each worker's young generation, in MB (V8's default is 48: three 16 MB semi-spaces). A
 * worker's garbage is the rows of the search it is on, dead by the next one. With the default,
 * the two workers' young generations took a large part of what the pool adds to the process:
 * under a mixed load at a million messages the peak RSS was 353–371 MB, against 278–304 MB with
 * 24, at the same search throughput within noise (docs/benchmarks.md). It is the cap
 * self-hosting.md recommends for the main thread (--max-semi-space-size=8), which a running
 * process cannot set for itself.
 */
const WORKER_YOUNG_GENERATION_MB = 24;

/**
 * SQLite's searches in worker threads, each with its own read-only connection, so a ranking
 * (tens of milliseconds of CPU at a million messages) never holds the event loop that every
 * other request needs. better-sqlite3 runs a statement to its end on the thread that asks, and
 * SQLite in WAL mode lets any number of readers run beside the one writer, so N workers rank N
 * searches at once while the server answers everything else. Searches wait for a worker in a
 * ReadScheduler (a fair share per workspace); a search whose client goes away is dropped while
 * it waits, and told to stop (a flag the worker checks between steps) while it runs.
 *
 * Writes and the cheap statements of every request stay on the server's own connection: a round
 * trip to a worker costs more than they do (measured in docs/benchmarks.md).
 */

export interface ReadPoolStart {
  file: string;
  size: number;
  /** Most searches one workspace runs at once (default `size`). */
  perWorkspace?: number | undefined;
  /** Each worker's SQLite page cache. */
  cacheSizeKb: number;
}

export interface WorkerData {
  file: string;
  cacheSizeKb: number;
  stopFlags: SharedArrayBuffer;
  slot: number;
}

export interface WorkerRequest {
  id: number;
  method: keyof SearchBackend;
  params: unknown;
}

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; stopped: true }
  | { id: number; ok: false; error: { message: string; code?: unknown } };

/** An error from a worker, with SQLite's code kept (isDatabaseUnavailable reads it). */
class WorkerError extends Error {
  constructor(
    message: string,
    readonly code: unknown,
  ) {
    super(message);
  }
}

interface Job {
  id: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
}

class PoolWorker {
  job: Job | undefined;
  private readonly ready: Promise<void>;

  constructor(
    readonly thread: Worker,
    readonly slot: number,
    onReply: (worker: PoolWorker, reply: WorkerReply) => void,
    onExit: (worker: PoolWorker, error: Error) => void,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      thread.once('message', () => resolve());
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`read pool worker exited (${code}) before it was ready`)));
    });
    this.ready
      .then(() => {
        thread.on('message', (reply: WorkerReply) => onReply(this, reply));
        thread.on('error', (error) => onExit(this, error));
        thread.on('exit', (code) => onExit(this, new Error(`read pool worker exited (${code})`)));
      })
      .catch(() => undefined);
  }

  started(): Promise<void> {
    return this.ready;
  }
}

export class ReadPool implements SearchBackend {
  private readonly scheduler: ReadScheduler;
  private readonly idle: PoolWorker[] = [];
  /** Slots the scheduler granted while no worker was idle (one being replaced after a crash). */
  private readonly waitingForWorker: Array<{ resolve(worker: PoolWorker): void; reject(error: Error): void }> = [];
  private readonly workers = new Set<PoolWorker>();
  private readonly stopFlags: Int32Array;
  private nextId = 1;
  private stoppedCount = 0;
  private closing = false;

  private constructor(private readonly options: ReadPoolStart) {
    this.scheduler = new ReadScheduler({ slots: options.size, perWorkspace: options.perWorkspace ?? options.size });
    this.stopFlags = new Int32Array(new SharedArrayBuffer(4 * options.size));
  }

  /** Starts `size` workers and resolves once each has opened its connection. */
  static async start(options: ReadPoolStart): Promise<ReadPool> {
    const pool = new ReadPool(options);
    try {
      await Promise.all(Array.from({ length: options.size }, (_, slot) => pool.spawn(slot).started()));
    } catch (error) {
      await pool.close();
      throw new Error(`could not start the SQLite read pool: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return pool;
  }

  rankConversations: SearchBackend['rankConversations'] = (p, options) => this.run('rankConversations', p.workspaceId, p, options);
  findConversationHits: SearchBackend['findConversationHits'] = (p, options) => this.run('findConversationHits', p.workspaceId, p, options);
  tickets: SearchBackend['tickets'] = (p, options) => this.run('tickets', p.workspaceId, p, options);
  ticketHits: SearchBackend['ticketHits'] = (p, options) => this.run('ticketHits', p.workspaceId, p, options);
  knowledgeChunks: SearchBackend['knowledgeChunks'] = (p, options) => this.run('knowledgeChunks', p.workspaceId, p, options);
  knowledgeNodes: SearchBackend['knowledgeNodes'] = (p, options) => this.run('knowledgeNodes', p.workspaceId, p, options);

  stats(): ReadPoolStats {
    return { ...this.scheduler.stats(), stopped: this.stoppedCount };
  }

  /** Stops the workers; searches under way fail. */
  async close(): Promise<void> {
    this.closing = true;
    for (const waiter of this.waitingForWorker.splice(0)) waiter.reject(new Error('the read pool is closed'));
    await Promise.all([...this.workers].map((worker) => worker.thread.terminate()));
    this.workers.clear();
    this.idle.length = 0;
  }

  private run<T>(method: WorkerRequest['method'], workspaceId: string, params: unknown, options: SearchOptions | undefined): Promise<T> {
    const signal = options?.signal;
    return this.scheduler.run(workspaceId, signal, async () => {
      const id = this.nextId;
      this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
      let worker: PoolWorker | undefined;
      // The worker is busy until the search ends, so it cannot receive a message: it reads this flag.
      const stop = () => {
        if (worker) Atomics.store(this.stopFlags, worker.slot, id);
      };
      signal?.addEventListener('abort', stop, { once: true });
      try {
        worker = await this.acquire();
        if (signal?.aborted) stop();
        const assigned = worker;
        return await new Promise<T>((resolve, reject) => {
          assigned.job = { id, resolve: resolve as (value: unknown) => void, reject, signal };
          assigned.thread.postMessage({ id, method, params } satisfies WorkerRequest);
        });
      } finally {
        signal?.removeEventListener('abort', stop);
      }
    });
  }

  private acquire(): Promise<PoolWorker> {
    if (this.closing) return Promise.reject(new Error('the read pool is closed'));
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    return new Promise((resolve, reject) => this.waitingForWorker.push({ resolve, reject }));
  }

  private release(worker: PoolWorker): void {
    const waiter = this.waitingForWorker.shift();
    if (waiter) waiter.resolve(worker);
    else this.idle.push(worker);
  }

  private spawn(slot: number): PoolWorker {
    const data: WorkerData = { file: this.options.file, cacheSizeKb: this.options.cacheSizeKb, stopFlags: this.stopFlags.buffer as SharedArrayBuffer, slot };
    const thread = new Worker(READ_WORKER_URL, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    const worker = new PoolWorker(
      thread,
      slot,
      (w, reply) => this.settle(w, reply),
      (w, error) => this.lost(w, error),
    );
    this.workers.add(worker);
    worker
      .started()
      .then(() => this.release(worker))
      .catch(() => this.workers.delete(worker));
    return worker;
  }

  private settle(worker: PoolWorker, reply: WorkerReply): void {
    const job = worker.job;
    if (!job || job.id !== reply.id) return;
    worker.job = undefined;
    this.release(worker);
    if (reply.ok) job.resolve(reply.value);
    else if ('stopped' in reply) {
      this.stoppedCount += 1;
      job.reject(job.signal ? abortError(job.signal) : new Error('search stopped'));
    } else job.reject(new WorkerError(reply.error.message, reply.error.code));
  }

  /** A worker died (out of memory, a native crash): fail its search and start another in its slot. */
  private lost(worker: PoolWorker, error: Error): void {
    if (!this.workers.delete(worker)) return;
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    worker.job?.reject(error);
    worker.job = undefined;
    if (!this.closing) this.spawn(worker.slot);
  }
}
