import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, FormBrowser, pkce, registerClient, signInAndConsent, tokenRequest, type RegisteredClient } from '../src/oauth-http.js';
import { useService } from '../../../scripts/test-services.mjs';
import { freePort } from '../../../scripts/free-port.mjs';
import { startPostgresCluster, type PgPool, type PostgresCluster } from '../src/postgres-cluster.js';
import { startRoundRobinProxy, type ProxyLogEntry, type RoundRobinProxy } from '../src/round-robin-proxy.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/webhook-receiver.js';
import { connectClient, DELIVERY_SECRET, eventually, findFixtures, rawCall, replayMarker, type Fixtures, type RawResponse } from './write-helpers.js';

/**
 * Scale-out: two `serve` processes on one PostgreSQL behind a round-robin proxy behave as one
 * server. OAuth state, idempotency records, rate-limit buckets, the outbox and the version of
 * cached search results live in the database, so a login started on replica A finishes on B, one
 * idempotency key sent to both runs once, a message sent through B is found by A's next search,
 * the workspace limit holds across both, and killing A with SIGKILL loses nothing.
 */

const PG_BIN = useService('postgres', import.meta.url).path;

const A = 0;
const B = 1;

interface Replica {
  name: 'A' | 'B' | 'C' | 'D';
  process: ServerProcess;
  /** The replica's own address, bypassing the proxy. */
  url: string;
  mcpUrl: string;
}

let cluster: PostgresCluster;
let databaseUrl: string;
let db: PgPool;
let proxy: RoundRobinProxy;
let receiver: WebhookReceiver;
let replicas: Replica[] = [];
let token: string;
let demoUser: { email: string; password: string };
let fx: Fixtures;
let workspaceIds: Record<string, string>;

/** A claim long enough for a held delivery batch, short enough for the crash test's retry to come soon. */
const CLAIM_SECONDS = '4';

/** Starts one `serve` on the shared database, advertising the proxy's URL as its public URL. */
async function startReplica(name: Replica['name'], args: string[], demo = false): Promise<Replica> {
  const port = await freePort();
  const serverArgs = ['--database', databaseUrl, '--public-url', proxy.url, '--delivery-webhook', receiver.url, '--delivery-claim-seconds', CLAIM_SECONDS, ...args];
  const process = await startServer({ demo, port, args: serverArgs, env: { CONDUIT_DELIVERY_SECRET: DELIVERY_SECRET } });
  const url = `http://127.0.0.1:${port}`;
  return { name, process, url, mcpUrl: `${url}/v1/mcp` };
}

async function stopReplica(replica: Replica): Promise<void> {
  await replica.process.stop();
  replica.process.cleanup();
}

async function rowsWithBody(body: string): Promise<Array<{ id: string }>> {
  return (await db.query<{ id: string }>('SELECT id FROM messages WHERE body = $1', [body])).rows;
}

async function outboxOf(messageIds: string[]): Promise<Array<{ message_id: string; status: string }>> {
  const { rows } = await db.query<{ message_id: string; status: string }>('SELECT message_id, status FROM outbox WHERE message_id = ANY($1) ORDER BY message_id', [messageIds]);
  return rows;
}

type Message = { id: string; body: string };

function messageIdOf(response: RawResponse): string | undefined {
  if (response.status !== 200 || !response.result || response.result.isError) return undefined;
  return (response.result.structuredContent as Message).id;
}

function sendArgs(body: string): Record<string, unknown> {
  return { workspace_id: 'acme-hotels', conversation_id: fx.conversationId, body };
}

describe.skipIf(!PG_BIN)('two replicas on one PostgreSQL behind a round-robin proxy', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(PG_BIN!);
    databaseUrl = await cluster.createDatabase('conduit');
    db = cluster.pool('conduit');
    receiver = await startWebhookReceiver({ secret: DELIVERY_SECRET });
    proxy = await startRoundRobinProxy();
    // Only A seeds the demo data (and prints its token); B starts on the populated database.
    const a = await startReplica('A', ['--rate-limit', '0'], true);
    replicas = [a, await startReplica('B', ['--rate-limit', '0'])];
    proxy.setUpstreams(replicas.map((r) => r.url));
    if (!a.process.token || !a.process.demoUser) throw new Error(`serve --demo printed no token or login:\n${a.process.output()}`);
    token = a.process.token;
    demoUser = a.process.demoUser;
    const client = await connectClient(a.mcpUrl, token);
    fx = await findFixtures(client);
    await client.close();
    const { rows } = await db.query<{ id: string; slug: string }>('SELECT id, slug FROM workspaces');
    workspaceIds = Object.fromEntries(rows.map((w) => [w.slug, w.id]));
  }, 180_000);

  afterAll(async () => {
    for (const replica of replicas) await stopReplica(replica);
    await proxy?.close();
    await receiver?.close();
    await cluster?.stop();
    expect(receiver?.rejected).toEqual([]);
  });

  describe('OAuth state is shared', () => {
    const redirectUri = 'http://127.0.0.1:33418/callback';

    async function register(): Promise<RegisteredClient> {
      const { status, body } = await registerClient(proxy.url, { redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' });
      expect(status).toBe(201);
      return body as unknown as RegisteredClient;
    }

    /** Authorize, sign in, consent and exchange the code, all through the proxy. */
    async function login(client: RegisteredClient): Promise<Record<string, string>> {
      const { verifier, challenge } = pkce();
      const start = authorizeUrl(proxy.url, { client_id: client.client_id, redirect_uri: redirectUri, scope: 'mcp:read mcp:write', code_challenge: challenge, code_challenge_method: 'S256' });
      const redirect = await signInAndConsent(new FormBrowser(proxy.url), start, { ...demoUser, workspaces: [workspaceIds['acme-hotels']!] });
      expect(redirect.searchParams.get('iss')).toBe(`${proxy.url}/oauth/mcp`);
      const code = redirect.searchParams.get('code');
      expect(code, redirect.href).toBeTruthy();
      const { status, body } = await tokenRequest(proxy.url, client, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: redirectUri, resource: `${proxy.url}/v1/mcp` });
      expect(status, JSON.stringify(body)).toBe(200);
      return body;
    }

    /** list_workspaces on one replica directly; the slugs it returns, or the HTTP status when refused. */
    async function workspacesOn(replica: Replica, accessToken: string): Promise<string[] | number> {
      const response = await rawCall(replica.mcpUrl, accessToken, 'list_workspaces', {});
      if (response.status !== 200) return response.status;
      return (response.result?.structuredContent as { data: Array<{ slug: string }> }).data.map((w) => w.slug);
    }

    const step = (e: ProxyLogEntry) => `${e.method} ${e.path.split('?')[0]!.replace(/\/interaction\/[^/]+/, '/interaction/:uid').replace(/\/auth\/[^/]+/, '/auth/:uid')}`;

    it('both replicas advertise the proxy as resource and issuer', async () => {
      for (const replica of replicas) {
        const metadata = (await (await fetch(`${replica.url}/.well-known/oauth-protected-resource/v1/mcp`)).json()) as { resource: string; authorization_servers: string[] };
        expect(metadata).toMatchObject({ resource: `${proxy.url}/v1/mcp`, authorization_servers: [`${proxy.url}/oauth/mcp`] });
      }
    });

    it('a login whose /authorize lands on A signs in, consents and gets its token on B; the token works on both', async () => {
      const client = await register();
      const from = proxy.log.length;
      proxy.route = (req) => (req.method === 'GET' && req.url?.startsWith('/oauth/mcp/auth?') ? A : B);
      let tokens: Record<string, string>;
      try {
        tokens = await login(client);
      } finally {
        proxy.route = undefined;
      }
      const steps = proxy.log.slice(from).map((e) => [step(e), e.upstream, e.status]);
      expect(steps).toEqual([
        ['GET /oauth/mcp/auth', A, 303],
        ['GET /oauth/mcp/interaction/:uid', B, 200],
        ['POST /oauth/mcp/interaction/:uid/login', B, 303],
        ['GET /oauth/mcp/auth/:uid', B, 303],
        ['GET /oauth/mcp/interaction/:uid', B, 200],
        ['POST /oauth/mcp/interaction/:uid/consent', B, 303],
        ['GET /oauth/mcp/auth/:uid', B, 303],
        ['POST /oauth/mcp/token', B, 200],
      ]);
      for (const replica of replicas) expect(await workspacesOn(replica, tokens.access_token!)).toEqual(['acme-hotels']);

      // Refresh on A; the rotated-out refresh token replayed on B is reuse, which revokes the
      // grant, and the revocation holds on A too.
      proxy.route = () => A;
      const refreshed = await tokenRequest(proxy.url, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      proxy.route = () => B;
      const reused = await tokenRequest(proxy.url, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      proxy.route = undefined;
      expect(refreshed.status).toBe(200);
      expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(await workspacesOn(replicas[A]!, refreshed.body.access_token!)).toBe(401);
      expect(await workspacesOn(replicas[B]!, refreshed.body.access_token!)).toBe(401);
    });

    it('a login whose every step lands on the other replica than the one before also completes', async () => {
      const client = await register();
      const from = proxy.log.length;
      let next = 0;
      proxy.route = () => next++ % 2;
      let tokens: Record<string, string>;
      try {
        tokens = await login(client);
      } finally {
        proxy.route = undefined;
      }
      const entries = proxy.log.slice(from);
      expect(entries).toHaveLength(8);
      expect(entries.map((e) => e.upstream)).toEqual([A, B, A, B, A, B, A, B]);
      expect(entries.every((e) => e.status < 400)).toBe(true);
      for (const replica of replicas) expect(await workspacesOn(replica, tokens.access_token!)).toEqual(['acme-hotels']);
    });
  });

  describe('signed cursors are shared', () => {
    it('a page cursor from A continues on B, and a forged one is refused there', async () => {
      type Page = { data: Array<{ id: string }>; next_cursor: string | null };
      const list = async (replica: Replica, extra: Record<string, unknown>) => {
        const response = await rawCall(replica.mcpUrl, token, 'list_contacts', { workspace_id: 'acme-hotels', limit: 3, ...extra });
        return response.result!;
      };
      const first = (await list(replicas[A]!, {})).structuredContent as Page;
      const second = (await list(replicas[B]!, { cursor: first.next_cursor })).structuredContent as Page;
      const both = (await list(replicas[A]!, { limit: 6 })).structuredContent as Page;
      expect([...first.data, ...second.data].map((c) => c.id)).toEqual(both.data.map((c) => c.id));
      // Another position under A's signature: B checks the signature with the same key and refuses it.
      const forged = `${Buffer.from(JSON.stringify(['', 0])).toString('base64url')}.${first.next_cursor!.split('.')[1]}`;
      expect((await list(replicas[B]!, { cursor: forged })).isError).toBe(true);
    });
  });

  describe('cached search results are retired by a write on any replica', () => {
    it('a message sent through B is found by the next search on A, which had cached that search', async () => {
      type Hits = { data: Array<{ id: string; matches: Array<{ message_id: string; snippet: string }> }> };
      const word = `zephyr${randomUUID().replaceAll('-', '')}`;
      const search = async (replica: Replica) => {
        const response = await rawCall(replica.mcpUrl, token, 'search_conversations', { workspace_id: 'acme-hotels', query: word });
        expect(response.status, JSON.stringify(response.error)).toBe(200);
        return (response.result!.structuredContent as Hits).data;
      };
      expect(await search(replicas[A]!)).toEqual([]);
      expect(await search(replicas[A]!)).toEqual([]);
      const sent = await rawCall(replicas[B]!.mcpUrl, token, 'send_conversation_message', { ...sendArgs(`The ${word} is at the front desk.`), idempotency_key: randomUUID() });
      const id = messageIdOf(sent);
      expect(id, JSON.stringify(sent.result)).toBeDefined();
      const found = await search(replicas[A]!);
      expect(found.map((hit) => hit.id)).toEqual([fx.conversationId]);
      expect(found[0]!.matches).toEqual([expect.objectContaining({ message_id: id, snippet: `The **${word}** is at the front desk.` })]);
    });
  });

  describe('idempotency keys are shared', () => {
    it('a key sent to A and then to B runs once: B replays what A did', async () => {
      const key = randomUUID();
      const body = `Replica idempotency, sequential (${key})`;
      const args = { ...sendArgs(body), idempotency_key: key };
      const first = await rawCall(replicas[A]!.mcpUrl, token, 'send_conversation_message', args);
      const second = await rawCall(replicas[B]!.mcpUrl, token, 'send_conversation_message', args);
      const id = messageIdOf(first);
      expect(id, JSON.stringify(first.result)).toBeDefined();
      expect(replayMarker(first.result)).toBeUndefined();
      expect(messageIdOf(second)).toBe(id);
      expect(replayMarker(second.result)).toMatchObject({ key, replayed: true });
      expect(await rowsWithBody(body)).toEqual([{ id }]);
      expect(await outboxOf([id!])).toHaveLength(1);
    });

    it('a key sent to A and B at the same moment runs once, for each of 10 keys', async () => {
      const keys = Array.from({ length: 10 }, () => randomUUID());
      const pairs = await Promise.all(
        keys.map((key) => {
          const args = sendArgs(`Replica idempotency, concurrent (${key})`);
          return Promise.all(replicas.map((r) => rawCall(r.mcpUrl, token, 'send_conversation_message', args, { idempotencyKey: key })));
        }),
      );
      const ids: string[] = [];
      for (const [i, pair] of pairs.entries()) {
        const [onA, onB] = pair.map(messageIdOf);
        expect(onA, JSON.stringify(pair.map((r) => r.result ?? r.error))).toBeDefined();
        expect(onB).toBe(onA);
        // One of the two ran the send; the other waited on the key's lock and replayed it.
        expect(pair.map((r) => replayMarker(r.result)?.replayed === true).sort()).toEqual([false, true]);
        expect(await rowsWithBody(`Replica idempotency, concurrent (${keys[i]})`)).toEqual([{ id: onA }]);
        ids.push(onA!);
      }
      expect((await outboxOf(ids)).map((r) => r.message_id)).toEqual([...ids].sort());
    });
  });

  describe('the workspace rate limit is shared', () => {
    it('with --rate-limit 4 on both replicas, 4 requests across them pass and the 5th on either is 429', async () => {
      // A pair of its own with the low limit; same database, same delivery settings as A and B.
      // 4 a minute is a token every 15 s: the 6 requests below leave no room for a refill on any
      // machine (at 10 a minute, a token every 6 s, a slow one could see r=… repeat or a 200).
      const limited = [await startReplica('C', ['--rate-limit', '4']), await startReplica('D', ['--rate-limit', '4'])];
      try {
        const list = (replica: Replica, workspace: string) => rawCall(replica.mcpUrl, token, 'list_conversations', { workspace_id: workspace, limit: 1 });
        const remaining: string[] = [];
        for (let i = 0; i < 4; i++) {
          const response = await list(limited[i % 2]!, 'northwind-clinic');
          expect(response.status, `request ${i + 1}`).toBe(200);
          remaining.push(response.headers.get('ratelimit') ?? '');
        }
        // One bucket: each request, on whichever replica, leaves one token fewer.
        expect(remaining.map((r) => /r=(\d+)/.exec(r)?.[1])).toEqual(['3', '2', '1', '0']);
        for (const replica of limited) {
          const refused = await list(replica, 'northwind-clinic');
          expect(refused.status, replica.name).toBe(429);
          expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        }

        // 24 requests at once for the other workspace, 12 on each replica: the bucket is taken
        // atomically, so exactly 4 pass (plus one per 15 s the burst took, the refill rate).
        const started = Date.now();
        const burst = await Promise.all(Array.from({ length: 24 }, (_, i) => list(limited[i % 2]!, 'acme-hotels')));
        const refill = Math.floor((Date.now() - started) / 15_000);
        const passed = burst.filter((r) => r.status === 200).length;
        expect(burst.every((r) => r.status === 200 || r.status === 429)).toBe(true);
        expect(passed).toBeGreaterThanOrEqual(4);
        expect(passed).toBeLessThanOrEqual(4 + refill);
      } finally {
        for (const replica of limited) await stopReplica(replica);
      }
    });
  });

  describe('killing a replica loses nothing', () => {
    interface Send {
      key: string;
      body: string;
      /** The message id acknowledged to the client before A died, if any. */
      acknowledged?: string;
    }

    const planSend = (i: number): Send => {
      const key = randomUUID();
      return { key, body: `Replica crash send ${i} (${key})` };
    };
    const send = (s: Send) => rawCall(`${proxy.url}/v1/mcp`, token, 'send_conversation_message', sendArgs(s.body), { idempotencyKey: s.key });

    /** Outbox rows a worker claimed and has not settled, grouped by claim (one claim per worker pass). */
    async function claimedBatches(): Promise<string[][]> {
      const { rows } = await db.query<{ message_ids: string[] }>(
        "SELECT array_agg(message_id ORDER BY message_id) AS message_ids FROM outbox WHERE status = 'pending' AND locked_until IS NOT NULL GROUP BY locked_until ORDER BY 1",
      );
      return rows.map((r) => r.message_ids);
    }

    it('SIGKILL of A mid-burst: acknowledged sends survive once, retries through B run once, every message is delivered once (deduped)', async () => {
      // Start from a drained outbox, so every claimed row below belongs to this test.
      await eventually(async () => (await db.query("SELECT 1 FROM outbox WHERE status != 'sent'")).rows.length === 0, 30_000, () => 'outbox not drained');
      const deliveredBefore = new Set(receiver.deliveries.keys());
      const rawBefore = receiver.rawCount;

      // The receiver takes deliveries but answers none yet, so each worker's pass stays in flight.
      // Send until both workers hold a batch (a worker runs one pass at a time: two claims in
      // flight are one per replica) and the receiver has every row of both.
      receiver.holdResponses();
      const sends: Send[] = [];
      await eventually(
        async () => {
          const batches = await claimedBatches();
          if (batches.length >= 2 && batches.flat().every((id) => receiver.deliveries.has(id))) return true;
          const wave = Array.from({ length: 10 }, (_, i) => planSend(sends.length + i));
          sends.push(...wave);
          for (const [i, response] of (await Promise.all(wave.map(send))).entries()) wave[i]!.acknowledged = messageIdOf(response);
          await new Promise((resolve) => setTimeout(resolve, 600)); // longer than a worker's poll interval
          return false;
        },
        30_000,
        () => 'both replicas did not get a delivery batch in flight',
      );
      expect(sends.every((s) => s.acknowledged)).toBe(true);

      // 60 sends at once through the proxy; A is killed as soon as the tenth is acknowledged.
      const burst = Array.from({ length: 60 }, (_, i) => planSend(sends.length + i));
      let acked = 0;
      let killed: Promise<number | null> | undefined;
      await Promise.all(
        burst.map(async (s) => {
          try {
            const id = messageIdOf(await send(s));
            if (id) {
              s.acknowledged = id;
              if (++acked === 10) killed = replicas[A]!.process.kill();
            }
          } catch {
            // The proxy cut the connection when A died: not acknowledged.
          }
        }),
      );
      await killed;
      sends.push(...burst);
      // A's batch died with it; B's is still waiting for its answers.
      const inFlight = await claimedBatches();
      expect(inFlight).toHaveLength(2);
      const acknowledged = sends.filter((s) => s.acknowledged);
      expect(acknowledged.length).toBeLessThan(sends.length); // the kill landed mid-burst
      expect(proxy.down.has(A)).toBe(true);

      // Durable: every acknowledged send is there exactly once, before any retry.
      for (const s of acknowledged) expect(await rowsWithBody(s.body), s.body).toEqual([{ id: s.acknowledged }]);

      // The client retries every send with its key, through the proxy, which now only has B.
      receiver.releaseResponses();
      const retryFrom = proxy.log.length;
      const retries = await Promise.all(sends.map(send));
      expect(proxy.log.slice(retryFrom).every((e) => e.upstream === B)).toBe(true);
      const messageIds: string[] = [];
      for (const [i, response] of retries.entries()) {
        const s = sends[i]!;
        const id = messageIdOf(response);
        expect(id, `${s.body}: ${JSON.stringify(response.result ?? response.error ?? response.status)}`).toBeDefined();
        if (s.acknowledged) {
          expect(id).toBe(s.acknowledged);
          expect(replayMarker(response.result)).toMatchObject({ key: s.key, replayed: true });
        }
        expect(await rowsWithBody(s.body), s.body).toEqual([{ id }]);
        messageIds.push(id!);
      }
      expect(new Set(messageIds).size).toBe(sends.length);

      // B's worker delivers everything, A's cut-off batch included once its claim expires.
      expect((await outboxOf(messageIds)).map((r) => r.message_id)).toEqual([...messageIds].sort());
      await eventually(
        async () => (await outboxOf(messageIds)).every((r) => r.status === 'sent') && messageIds.every((id) => receiver.deliveries.has(id)),
        60_000,
        () => `undelivered: ${messageIds.filter((id) => !receiver.deliveries.has(id)).length}`,
      );
      const delivered = [...receiver.deliveries.values()].filter((d) => !deliveredBefore.has(d.id));
      expect(delivered.map((d) => d.id).sort()).toEqual([...messageIds].sort());
      expect(receiver.rawCount - rawBefore).toBe(delivered.reduce((sum, d) => sum + d.attempts, 0));
      // Exactly one of the two batches in flight at the kill came again (A's), once per message;
      // B's was answered when the receiver let go, and nothing else was delivered twice.
      const redelivered = delivered.filter((d) => d.attempts > 1);
      expect(redelivered.every((d) => d.attempts === 2)).toBe(true);
      expect(inFlight).toContainEqual(redelivered.map((d) => d.id).sort());
      console.info(
        `replica kill: ${sends.length} keyed sends, ${acknowledged.length} acknowledged before the kill; ` +
          `${receiver.rawCount - rawBefore} webhook deliveries, ${delivered.length} after dedupe (${redelivered.length} of A's in-flight batch redelivered by B)`,
      );
    });
  });
});
