import { parentPort, workerData } from 'node:worker_threads';
import type { SearchBackend } from '../search.js';
import { openReadConnection } from './connection.js';
import { SqliteSearch } from './search.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './read-pool.js';

/**
 * A read pool worker (see read-pool.ts): its own read-only connection to the database file and a
 * search engine on it. Requests run one at a time; between the steps of a ranking the worker
 * looks at its slot of the shared stop flags, where the server writes the id of a request whose
 * client went away (a message could not arrive: this thread is busy until the request ends).
 */
const { file, cacheSizeKb, stopFlags, slot } = workerData as WorkerData;
const flags = new Int32Array(stopFlags);
const search = new SqliteSearch(openReadConnection(file, cacheSizeKb));
const port = parentPort;
if (!port) throw new Error('read-worker runs as a worker thread of the read pool');

class Stopped extends Error {}

port.on('message', (request: WorkerRequest) => {
  const interruption = {
    throwIfAborted() {
      if (Atomics.load(flags, slot) === request.id) throw new Stopped('stopped: its client went away');
    },
  };
  const reply = (message: WorkerReply) => port.postMessage(message);
  run(request, interruption).then(
    (value) => reply({ id: request.id, ok: true, value }),
    (error: unknown) =>
      reply(
        error instanceof Stopped
          ? { id: request.id, ok: false, stopped: true }
          : { id: request.id, ok: false, error: { message: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code } },
      ),
  );
});

async function run(request: WorkerRequest, interruption: { throwIfAborted(): void }): Promise<unknown> {
  interruption.throwIfAborted();
  const method = search[request.method as keyof SearchBackend] as (p: unknown, options: unknown) => Promise<unknown>;
  return method.call(search, request.params, { signal: interruption });
}

port.postMessage({ ready: true });
