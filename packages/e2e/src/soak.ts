import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SERVER_CLI, startServer } from './server-process.js';
import { startWebhookReceiver } from './webhook-receiver.js';

/**
 * A bounded soak of a real server process on loopback: N closed-loop clients for D seconds of
 * mixed reads (list, get, search) and keyed writes (send_conversation_message with a unique
 * key, plus deliberate retries of earlier keys, some of them concurrent). It counts every
 * status, then checks the database and a webhook receiver: every acknowledged write exists
 * exactly once and is delivered once, no key produced two rows. The server's RSS is sampled
 * from /proc throughout. The server runs with startServer's high --rate-limit: the product's
 * default (120/min per workspace) would turn this load into 429s by design.
 */

export interface SoakOptions {
  /** Shown in the report, e.g. "sqlite". */
  label: string;
  clients: number;
  durationMs: number;
  /** A postgres:// URL; SQLite in a temporary data dir when absent. */
  database?: string;
  /** How often the server's RSS is read (default 2 s). */
  sampleEveryMs?: number;
}

export interface SoakReport {
  label: string;
  clients: number;
  seconds: number;
  requests: number;
  perSecond: number;
  /** HTTP status → count; "network" for requests that got no response. */
  statuses: Record<string, number>;
  fiveXx: number;
  /** Tool error code → count (isError results). */
  toolErrors: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  writes: {
    /** Distinct keys sent. */
    keys: number;
    acknowledged: number;
    /** Calls that reused a key (sequential retries and concurrent duplicates). */
    retries: number;
    /** Retries answered with the first result (replayed, same message id). */
    replayed: number;
    /** Acknowledged writes whose message is missing or differs from the acknowledged id. */
    lost: number;
    /** Keys with more than one message row. */
    duplicated: number;
    /** Messages in the outbox more or less than once. */
    outboxMismatches: number;
    /** Acknowledged messages the webhook received exactly once (deduped), and raw redeliveries. */
    deliveredOnce: number;
    redeliveries: number;
    /** Acknowledged but not yet delivered when the load stopped, and how long the rest took. */
    backlogAtEnd: number;
    drainSeconds: number;
  };
  /**
   * RSS samples: the total, and its anonymous part (heap and native allocations). Garbage
   * collection makes the anonymous part a saw whose teeth last tens of seconds, so a leak shows
   * as a rising floor: the growth from the lowest sample of the second quarter of the run to the
   * lowest of the last quarter (after the warm-up). The file-backed rest is the binaries plus,
   * on SQLite, the memory-mapped database file (bounded by its mmap_size), which grows with the data.
   */
  rssMb: { first: number; last: number; max: number; anonMax: number; fileLast: number; anonFloorGrowth: number; samples: number[]; anonSamples: number[] };
}

interface Write {
  key: string;
  args: Record<string, unknown>;
  ackId?: string;
}

/** VmRSS, RssAnon and RssFile of a process, in MB. */
function rssMb(pid: number): { total: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Math.round((Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024) * 10) / 10;
  return { total: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') };
}

/** How much the lowest sample of the last quarter exceeds the lowest of the second quarter. */
function floorGrowth(samples: number[]): number {
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const second = Math.min(...samples.slice(quarter, 2 * quarter));
  const last = Math.min(...samples.slice(samples.length - quarter));
  return Math.round((last - second) * 10) / 10;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
}

interface Rows {
  /** id and body of every message whose body starts with `prefix`, and the outbox rows per message id. */
  messages(prefix: string): Promise<{ messages: Array<{ id: string; body: string }>; outbox: Map<string, number> }>;
  close(): Promise<void>;
}

const requireFromServer = createRequire(join(SERVER_CLI, '..', '..', 'package.json'));

function openRows(database: string | undefined, dataDir: string): Rows {
  const outboxSql = (where: string) => `SELECT o.message_id AS id, COUNT(*) AS n FROM outbox o JOIN messages m ON m.id = o.message_id WHERE ${where} GROUP BY o.message_id`;
  if (database) {
    const { Pool } = requireFromServer('pg') as { Pool: new (o: { connectionString: string; max: number }) => { query(sql: string, params: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>; end(): Promise<void> } };
    const pool = new Pool({ connectionString: database, max: 1 });
    return {
      async messages(prefix) {
        const messages = (await pool.query('SELECT id, body FROM messages WHERE body LIKE $1', [`${prefix}%`])).rows as Array<{ id: string; body: string }>;
        const outbox = (await pool.query(outboxSql('m.body LIKE $1'), [`${prefix}%`])).rows;
        return { messages, outbox: new Map(outbox.map((r) => [String(r.id), Number(r.n)])) };
      },
      close: () => pool.end(),
    };
  }
  const Sqlite = requireFromServer('better-sqlite3') as new (file: string, o: { readonly: boolean }) => {
    prepare(sql: string): { all(...params: unknown[]): Array<Record<string, unknown>> };
    close(): void;
  };
  const db = new Sqlite(join(dataDir, 'conduit.db'), { readonly: true });
  return {
    async messages(prefix) {
      const messages = db.prepare('SELECT id, body FROM messages WHERE body LIKE ?').all(`${prefix}%`) as Array<{ id: string; body: string }>;
      const outbox = db.prepare(outboxSql('m.body LIKE ?')).all(`${prefix}%`);
      return { messages, outbox: new Map(outbox.map((r) => [String(r.id), Number(r.n)])) };
    },
    close: async () => db.close(),
  };
}

const SECRET = 'soak-delivery-secret';

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const sampleEveryMs = options.sampleEveryMs ?? 2_000;
  const receiver = await startWebhookReceiver({ secret: SECRET });
  const server = await startServer({
    demo: true,
    args: ['--delivery-webhook', receiver.url, ...(options.database ? ['--database', options.database] : [])],
    env: { CONDUIT_DELIVERY_SECRET: SECRET },
  });
  const rows = openRows(options.database, server.dataDir);
  try {
    const token = server.token;
    if (!token) throw new Error(`serve --demo printed no token:\n${server.output()}`);
    const call = async (name: string, args: Record<string, unknown>) => {
      const res = await fetch(server.mcpUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
      });
      const text = await res.text();
      return { status: res.status, body: text };
    };

    // What the clients act on: acme-hotels' conversations, contacts and tickets.
    const list = async (tool: string) => {
      const { body } = await call(tool, { workspace_id: 'acme-hotels', limit: 50 });
      return (JSON.parse(body) as { result: { structuredContent: { data: Array<Record<string, string>> } } }).result.structuredContent.data;
    };
    const ids = async (tool: string) => (await list(tool)).map((r) => r.id!);
    // Written replies go to conversations on written channels (a voice conversation refuses them).
    const conversations = (await list('list_conversations')).filter((c) => c.channel !== 'voice').map((c) => c.id!);
    const contacts = await ids('list_contacts');
    if (conversations.length === 0 || contacts.length === 0) throw new Error('the demo data has no conversations or contacts');

    const marker = `soak ${options.label} ${randomUUID().slice(0, 8)}`;
    const statuses: Record<string, number> = {};
    const toolErrors: Record<string, number> = {};
    const latencies: number[] = [];
    const writes: Write[] = [];
    let retries = 0;
    let replayed = 0;
    let mismatchedReplays = 0;

    const record = (status: number | 'network', body: string, ms: number) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      latencies.push(ms);
      if (status !== 200) return undefined;
      const message = JSON.parse(body) as { result?: { isError?: boolean; structuredContent?: { id?: string }; _meta?: Record<string, { code?: string; replayed?: boolean }> } };
      const result = message.result;
      if (result?.isError) {
        const code = result._meta?.['conduit/error']?.code ?? 'unknown';
        toolErrors[code] = (toolErrors[code] ?? 0) + 1;
        return undefined;
      }
      return { id: result?.structuredContent?.id, replayed: result?._meta?.['conduit/idempotency']?.replayed === true };
    };
    const timed = async (name: string, args: Record<string, unknown>) => {
      const started = performance.now();
      try {
        const { status, body } = await call(name, args);
        return record(status, body, performance.now() - started);
      } catch {
        record('network', '', performance.now() - started);
        return undefined;
      }
    };
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
    const ws = { workspace_id: 'acme-hotels' };

    const send = async (write: Write) => {
      const outcome = await timed('send_conversation_message', { ...write.args, idempotency_key: write.key });
      if (!outcome?.id) return;
      if (write.ackId === undefined) write.ackId = outcome.id;
      else if (outcome.id !== write.ackId) mismatchedReplays++;
      if (outcome.replayed) replayed++;
    };

    const client = async (n: number, deadline: number) => {
      const mine: Write[] = [];
      let i = 0;
      while (Date.now() < deadline) {
        const r = Math.random();
        if (r < 0.2) await timed(pick(['list_conversations', 'list_contacts', 'list_tickets']), { ...ws, limit: 20 });
        else if (r < 0.35) await timed('get_conversation', { ...ws, conversation_id: pick(conversations) });
        else if (r < 0.45) await timed('get_contact', { ...ws, contact_id: pick(contacts) });
        else if (r < 0.55) await timed('search_conversations', { ...ws, query: pick(['refund', 'booking', '"double charge"', 'late check-out']) });
        else if (r < 0.62) await timed('search_knowledge', { ...ws, query: pick(['cancellation policy', 'parking', 'breakfast']) });
        else if (r < 0.7) await timed('list_conversation_messages', { ...ws, conversation_id: pick(conversations), limit: 20 });
        else if (r < 0.92 || mine.length === 0) {
          const write: Write = { key: randomUUID(), args: { ...ws, conversation_id: pick(conversations), body: `${marker} c${n} #${i++}` } };
          writes.push(write);
          mine.push(write);
          // Now and then the same new key twice at once, as a client retrying a slow call would.
          if (Math.random() < 0.1) {
            retries++;
            await Promise.all([send(write), send(write)]);
          } else {
            await send(write);
          }
        } else {
          retries++;
          await send(pick(mine)); // a deliberate retry of an earlier key
        }
      }
    };

    const pid = server.child.pid!;
    const memory = [rssMb(pid)];
    const sampler = setInterval(() => memory.push(rssMb(pid)), sampleEveryMs);
    const started = Date.now();
    const deadline = started + options.durationMs;
    await Promise.all(Array.from({ length: options.clients }, (_, n) => client(n, deadline)));
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    memory.push(rssMb(pid));
    const samples = memory.map((m) => m.total);
    const anonSamples = memory.map((m) => m.anon);

    // Afterwards: the database and the receiver. A write that never got an answer is retried
    // once more now, as its client would, so it too must end up as exactly one message.
    for (const write of writes.filter((w) => w.ackId === undefined)) {
      retries++;
      await send(write);
    }
    const acknowledged = writes.filter((w) => w.ackId !== undefined);
    const undelivered = () => acknowledged.filter((w) => !receiver.deliveries.has(w.ackId!)).length;
    const backlogAtEnd = undelivered();
    // The outbox drains after the load; give up only when it stops making progress for 30 s.
    const drainStarted = Date.now();
    let progressAt = Date.now();
    for (let left = backlogAtEnd; left > 0 && Date.now() - progressAt < 30_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = undelivered();
      if (now < left) progressAt = Date.now();
      left = now;
    }
    const drainSeconds = Math.round((Date.now() - drainStarted) / 100) / 10;
    const { messages, outbox } = await rows.messages(marker);
    const byBody = new Map<string, string[]>();
    for (const m of messages) byBody.set(m.body, [...(byBody.get(m.body) ?? []), m.id]);
    const lost = acknowledged.filter((w) => {
      const found = byBody.get(String(w.args.body)) ?? [];
      return !found.includes(w.ackId!);
    }).length;
    const duplicated = [...byBody.values()].filter((list) => list.length > 1).length;
    const outboxMismatches = messages.filter((m) => outbox.get(m.id) !== 1).length;
    const deliveredOnce = acknowledged.filter((w) => receiver.deliveries.get(w.ackId!)?.attempts === 1).length;
    const sorted = [...latencies].sort((a, b) => a - b);
    const fiveXx = Object.entries(statuses).filter(([status]) => status.startsWith('5')).reduce((sum, [, n]) => sum + n, 0);
    return {
      label: options.label,
      clients: options.clients,
      seconds: Math.round(seconds),
      requests: latencies.length,
      perSecond: Math.round(latencies.length / seconds),
      statuses,
      fiveXx,
      toolErrors,
      latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: percentile(sorted, 100) },
      writes: {
        keys: writes.length,
        acknowledged: acknowledged.length,
        retries,
        replayed,
        lost: lost + mismatchedReplays,
        duplicated,
        outboxMismatches,
        deliveredOnce,
        redeliveries: receiver.rawCount - receiver.deliveries.size,
        backlogAtEnd,
        drainSeconds,
      },
      rssMb: {
        first: samples[0]!,
        last: samples.at(-1)!,
        max: Math.max(...samples),
        anonMax: Math.max(...anonSamples),
        fileLast: memory.at(-1)!.file,
        anonFloorGrowth: floorGrowth(anonSamples),
        samples,
        anonSamples,
      },
    };
  } finally {
    await rows.close();
    await server.stop();
    server.cleanup();
    await receiver.close();
  }
}

/** The report as the table docs/reliability.md keeps. */
export function formatReports(reports: SoakReport[]): string {
  const head = ['database', 'clients', 's', 'requests', 'req/s', 'non-200', '5xx', 'p50 ms', 'p95 ms', 'p99 ms', 'writes acked', 'retries (replayed)', 'lost', 'duplicated', 'delivered once', 'backlog at end (drained in)', 'RSS first/last/max MB', 'file-backed at end MB', 'anon max MB', 'anon floor growth, Q2→Q4 MB'];
  const lines = reports.map((r) => [
    r.label,
    r.clients,
    r.seconds,
    r.requests,
    r.perSecond,
    r.requests - (r.statuses['200'] ?? 0),
    r.fiveXx,
    r.latencyMs.p50,
    r.latencyMs.p95,
    r.latencyMs.p99,
    r.writes.acknowledged,
    `${r.writes.retries} (${r.writes.replayed})`,
    r.writes.lost,
    r.writes.duplicated,
    `${r.writes.deliveredOnce}/${r.writes.acknowledged}`,
    `${r.writes.backlogAtEnd} (${r.writes.drainSeconds} s)`,
    `${r.rssMb.first}/${r.rssMb.last}/${r.rssMb.max}`,
    r.rssMb.fileLast,
    r.rssMb.anonMax,
    r.rssMb.anonFloorGrowth,
  ]);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
