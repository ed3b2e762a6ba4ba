import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A delivery webhook receiver as a real integration would write one, on a loopback port: it
 * verifies the `x-conduit-signature` HMAC (and the timestamp's age, so an old captured body
 * cannot be replayed), and it dedupes on `x-conduit-delivery-id`, because the server delivers
 * at least once. It keeps both numbers a test needs: every request that arrived (raw) and
 * every distinct message accepted (deduped).
 */

export const SIGNATURE_HEADER = 'x-conduit-signature';
export const DELIVERY_ID_HEADER = 'x-conduit-delivery-id';

export interface Delivery {
  /** The message id (the delivery-id header and the payload's message_id). */
  id: string;
  payload: Record<string, unknown>;
  /** How many times this id arrived with a valid signature (1 + redeliveries). */
  attempts: number;
}

export interface WebhookReceiver {
  /** POST target to pass as `--delivery-webhook`. */
  url: string;
  /** Distinct messages accepted, by id, in arrival order of their first delivery. */
  readonly deliveries: ReadonlyMap<string, Delivery>;
  /** Every validly signed request, redeliveries included. */
  readonly rawCount: number;
  /** Requests refused (bad or missing signature, stale timestamp, id mismatch), with why. */
  readonly rejected: readonly string[];
  /**
   * From now on, records each delivery as soon as it arrives but answers none until
   * `releaseResponses()`. A server killed meanwhile never learns that those deliveries
   * succeeded and must deliver them again after a restart: the case dedupe exists for.
   */
  holdResponses(): void;
  releaseResponses(): void;
  /** Resolves once `predicate` holds, polling; rejects with `describe()` after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, describe?: () => string): Promise<void>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  secret: string;
  /** Oldest signature timestamp accepted, in seconds (Stripe's default tolerance is 300). */
  toleranceSeconds?: number;
}

/** Parses `t=<unix seconds>,v1=<hex>`; null when either part is missing. */
export function parseSignature(header: string | undefined): { timestamp: number; v1: string } | null {
  if (!header) return null;
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string | undefined]));
  const timestamp = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(timestamp) || !v1) return null;
  return { timestamp, v1 };
}

/** True when `v1` is the HMAC-SHA256 of "<t>.<body>" under `secret`, compared in constant time. */
export function signatureMatches(secret: string, timestamp: number, body: string, v1: string): boolean {
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebhookReceiver(options: ReceiverOptions): Promise<WebhookReceiver> {
  const tolerance = options.toleranceSeconds ?? 300;
  const deliveries = new Map<string, Delivery>();
  const rejected: string[] = [];
  let rawCount = 0;
  /** While holding: the answers waiting to be sent. */
  let held: Array<() => void> | null = null;

  /** Checks one request; returns the reason to refuse it, or the verified delivery. */
  function verify(req: IncomingMessage, body: string): string | { id: string; payload: Record<string, unknown> } {
    const signature = parseSignature(req.headers[SIGNATURE_HEADER] as string | undefined);
    if (!signature) return 'missing or malformed signature header';
    if (Math.abs(Date.now() / 1000 - signature.timestamp) > tolerance) return 'signature timestamp outside the tolerance';
    if (!signatureMatches(options.secret, signature.timestamp, body, signature.v1)) return 'signature does not match the body';
    const id = req.headers[DELIVERY_ID_HEADER];
    if (typeof id !== 'string' || id === '') return 'missing delivery id';
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return 'body is not JSON';
    }
    if (payload.message_id !== id) return `delivery id ${id} does not match the payload's message_id`;
    return { id, payload };
  }

  const server: Server = createServer((req, res) => {
    void readBody(req).then(async (body) => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const verdict = verify(req, body);
      if (typeof verdict === 'string') {
        rejected.push(verdict);
        return void res.writeHead(401, { 'content-type': 'text/plain' }).end(verdict);
      }
      rawCount++;
      const seen = deliveries.get(verdict.id);
      // A redelivery is acknowledged like the first one (so the sender stops) but not acted on again.
      if (seen) seen.attempts++;
      else deliveries.set(verdict.id, { id: verdict.id, payload: verdict.payload, attempts: 1 });
      if (held) await new Promise<void>((resolve) => held?.push(resolve));
      res.writeHead(200, { 'content-type': 'text/plain' }).end(seen ? 'duplicate' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/conduit/deliveries`,
    deliveries,
    get rawCount() {
      return rawCount;
    },
    rejected,
    holdResponses() {
      held ??= [];
    },
    releaseResponses() {
      const waiting = held ?? [];
      held = null;
      for (const answer of waiting) answer();
    },
    async waitFor(predicate, timeoutMs, describe) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met in ${timeoutMs} ms${describe ? `: ${describe()}` : ''}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
