import { createHmac } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { Logger } from 'pino';
import type { OutboxTable } from '../store/schema.js';
import type { Store } from '../store/store.js';

export interface DeliveryOptions {
  /** POST each message here; without it messages are marked sent and logged locally. */
  webhookUrl?: string | undefined;
  /** HMAC-SHA256 key for the signature header; required with webhookUrl. */
  webhookSecret?: string | undefined;
  /** How often to look for due messages. */
  pollIntervalMs?: number;
  /** Attempts before a message is marked failed. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a claimed row stays claimed; after that (a crash) another pass retries it. */
  claimMs?: number;
  requestTimeoutMs?: number;
  batchSize?: number;
}

export const SIGNATURE_HEADER = 'x-conduit-signature';
export const DELIVERY_ID_HEADER = 'x-conduit-delivery-id';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, so receivers can reject replays of old bodies. */
export function signPayload(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export interface DeliveryWorker {
  /** Runs one pass now; resolves with how many rows it handled. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

type OutboxRow = Selectable<OutboxTable>;

/**
 * Delivers the outbox at least once: a row is claimed (locked_until) before sending and marked
 * after, so a crash between the two re-sends it after the claim expires. The message id goes in
 * the delivery-id header as the receiver's dedupe key, which turns at-least-once into
 * exactly-once for a receiver that honours it.
 */
export function startDeliveryWorker(store: Store, logger: Logger, options: DeliveryOptions = {}): DeliveryWorker {
  if (options.webhookUrl && !options.webhookSecret) {
    throw new Error('a delivery webhook needs a signing secret (env CONDUIT_DELIVERY_SECRET)');
  }
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const maxAttempts = options.maxAttempts ?? 8;
  const baseBackoffMs = options.baseBackoffMs ?? 2_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  const claimMs = options.claimMs ?? 60_000;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const batchSize = options.batchSize ?? 20;

  let stopped = false;
  let running: Promise<number> | null = null;

  async function claim(): Promise<OutboxRow[]> {
    const now = new Date();
    const until = new Date(now.getTime() + claimMs).toISOString();
    // One UPDATE … RETURNING claims atomically, so two workers never take the same row. SQLite
    // runs one writer at a time; on PostgreSQL two workers' subqueries could pick the same rows,
    // so the subquery locks them and skips rows another worker is claiming.
    const result = await sql<OutboxRow>`
      UPDATE outbox SET locked_until = ${until}, attempts = attempts + 1, updated_at = ${now.toISOString()}
      WHERE seq IN (
        SELECT seq FROM outbox
        WHERE status = 'pending' AND next_attempt_at <= ${now.toISOString()}
          AND (locked_until IS NULL OR locked_until <= ${now.toISOString()})
        ORDER BY next_attempt_at, seq LIMIT ${batchSize}
        ${store.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``}
      )
      RETURNING *`.execute(store.db);
    return result.rows;
  }

  async function send(row: OutboxRow): Promise<void> {
    if (!options.webhookUrl) {
      logger.info({ message_id: row.message_id, kind: row.message_kind }, 'message delivered to the local log (no webhook configured)');
      return;
    }
    const body = row.payload;
    const response = await fetch(options.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signPayload(options.webhookSecret ?? '', body),
        [DELIVERY_ID_HEADER]: row.message_id,
        'idempotency-key': row.message_id,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
  }

  async function settle(row: OutboxRow, error: unknown): Promise<void> {
    const now = new Date().toISOString();
    const messageTable = row.message_kind === 'ticket' ? 'ticket_messages' : 'messages';
    if (error === null) {
      await store.db.transaction().execute(async (trx) => {
        await trx.updateTable('outbox').set({ status: 'sent', locked_until: null, last_error: null, updated_at: now }).where('seq', '=', row.seq).execute();
        await trx.updateTable(messageTable).set({ status: 'sent' }).where('id', '=', row.message_id).where('status', '=', 'queued').execute();
      });
      return;
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (row.attempts >= maxAttempts) {
      logger.warn({ message_id: row.message_id, attempts: row.attempts, reason }, 'delivery failed for good');
      await store.db.transaction().execute(async (trx) => {
        await trx.updateTable('outbox').set({ status: 'failed', locked_until: null, last_error: reason, updated_at: now }).where('seq', '=', row.seq).execute();
        await trx.updateTable(messageTable).set({ status: 'failed' }).where('id', '=', row.message_id).execute();
      });
      return;
    }
    // Exponential backoff with jitter, so a receiver coming back is not hit by every message at once.
    const delay = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (row.attempts - 1)) * (0.75 + Math.random() * 0.5);
    logger.info({ message_id: row.message_id, attempts: row.attempts, retry_in_ms: Math.round(delay), reason }, 'delivery failed, will retry');
    await store.db
      .updateTable('outbox')
      .set({ locked_until: null, last_error: reason, next_attempt_at: new Date(Date.now() + delay).toISOString(), updated_at: now })
      .where('seq', '=', row.seq)
      .execute();
  }

  async function pass(): Promise<number> {
    const rows = await claim();
    await Promise.all(
      rows.map(async (row) => {
        let failure: unknown = null;
        try {
          await send(row);
        } catch (error) {
          failure = error ?? new Error('delivery failed');
        }
        await settle(row, failure);
      }),
    );
    return rows.length;
  }

  function runOnce(): Promise<number> {
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  }

  /**
   * Passes back to back while each claims a full batch, so a backlog drains at the receiver's
   * pace: one batch per poll capped delivery at batchSize / pollIntervalMs (40 messages/s), below
   * what the server accepts, and a soak's outbox only grew.
   */
  async function drain(): Promise<void> {
    while (!stopped && (await runOnce()) === batchSize);
  }

  const timer = setInterval(() => {
    if (stopped || running) return;
    drain().catch((err: unknown) => logger.error({ err }, 'delivery pass failed'));
  }, pollIntervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
