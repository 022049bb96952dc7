import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook, webhookHeaders } from './webhook-signature.ts';

const CURRENT = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const PREVIOUS = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const BODY = JSON.stringify({
  type: 'import.completed',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { id: 'x' },
});

describe('webhookHeaders', () => {
  const now = Math.floor(Date.now() / 1000);

  it('signs as the standardwebhooks package verifies', () => {
    const headers = webhookHeaders('evt_1', now, BODY, { current: CURRENT });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(CURRENT).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(PREVIOUS).verify(BODY, headers)).toThrow('No matching signature');
    expect(() => new Webhook(CURRENT).verify(`${BODY} `, headers)).toThrow('No matching signature');
  });

  it('signs with both secrets during a rotation, space-separated, each verifying', () => {
    const headers = webhookHeaders('evt_1', now, BODY, {
      current: CURRENT,
      previous: { secret: PREVIOUS, validUntil: new Date().toISOString() },
    });
    expect(headers['webhook-signature']?.split(' ')).toEqual([
      signWebhook(CURRENT, 'evt_1', now, BODY),
      signWebhook(PREVIOUS, 'evt_1', now, BODY),
    ]);
    expect(new Webhook(CURRENT).verify(BODY, headers)).toBeDefined();
    expect(new Webhook(PREVIOUS).verify(BODY, headers)).toBeDefined();
  });

  it("matches the spec's own example", () => {
    // From the Standard Webhooks specification's test vectors.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });
});
