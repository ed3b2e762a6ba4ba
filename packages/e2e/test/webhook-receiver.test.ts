import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, startWebhookReceiver, type WebhookReceiver } from '../src/webhook-receiver.js';

/**
 * The write suites trust this receiver's numbers, so it must be able to say no: forged,
 * stale or mismatched deliveries are refused and not counted, redeliveries are counted raw
 * but accepted once.
 */

const SECRET = 'receiver-test-secret';
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secret: SECRET });
});
afterAll(() => receiver.close());

function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function signed(id: string, body: string, options: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  const t = options.timestamp ?? Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', options.secret ?? SECRET).update(`${t}.${body}`).digest('hex');
  return { [SIGNATURE_HEADER]: `t=${t},v1=${v1}`, [DELIVERY_ID_HEADER]: id };
}

describe('the test webhook receiver', () => {
  it('accepts a signed delivery once and counts a redelivery only as raw', async () => {
    const body = JSON.stringify({ message_id: 'msg_a1', body: 'Hello' });
    const first = await post(body, signed('msg_a1', body));
    expect([first.status, await first.text()]).toEqual([200, 'ok']);
    const again = await post(body, signed('msg_a1', body));
    expect([again.status, await again.text()]).toEqual([200, 'duplicate']);
    expect(receiver.rawCount).toBe(2);
    expect([...receiver.deliveries.values()]).toEqual([{ id: 'msg_a1', payload: { message_id: 'msg_a1', body: 'Hello' }, attempts: 2 }]);
  });

  it('refuses forged, stale, unsigned and mismatched deliveries without counting them', async () => {
    const body = JSON.stringify({ message_id: 'msg_b2', body: 'Hello' });
    const cases: Array<[string, Promise<Response>]> = [
      ['wrong secret', post(body, signed('msg_b2', body, { secret: 'guess' }))],
      ['tampered body', post(body.replace('Hello', 'Bye'), signed('msg_b2', body))],
      ['ten-minute-old timestamp', post(body, signed('msg_b2', body, { timestamp: Math.floor(Date.now() / 1000) - 600 }))],
      ['no signature', post(body, { [DELIVERY_ID_HEADER]: 'msg_b2' })],
      ['delivery id not the payload\'s message id', post(body, signed('msg_other', body))],
    ];
    for (const [what, response] of cases) expect((await response).status, what).toBe(401);
    expect(receiver.rejected).toHaveLength(cases.length);
    expect(receiver.deliveries.has('msg_b2')).toBe(false);
    expect(receiver.rawCount).toBe(2);
  });
});
