import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkWebhookSignature, signWebhookBody } from '../../../shared/core/webhook-signature.ts';

const KEY = 'a-signing-key-of-16+';
const NOW_MS = Date.parse('2025-01-01T06:00:00.000Z');
const T = NOW_MS / 1000;

describe('signWebhookBody', () => {
  it('is HMAC-SHA256 of "<timestamp>.<body>" in hex, as a receiver in any language computes it', () => {
    const expected = createHmac('sha256', KEY).update(`${T}.{"a":1}`).digest('hex');
    expect(signWebhookBody(KEY, T, '{"a":1}')).toBe(`sha256=${expected}`);
  });
});

describe('checkWebhookSignature', () => {
  const signature = signWebhookBody(KEY, T, '{"a":1}');
  it.each([
    // the signed bytes, on time
    [{ signature, timestamp: String(T) }, '{"a":1}', NOW_MS, undefined],
    // five minutes either way is on time; more is a replay
    [{ signature, timestamp: String(T) }, '{"a":1}', NOW_MS + 300_000, undefined],
    [{ signature, timestamp: String(T) }, '{"a":1}', NOW_MS + 301_000, 'stale timestamp'],
    // one byte changed, another key, a cut signature
    [{ signature, timestamp: String(T) }, '{"a":2}', NOW_MS, 'bad signature'],
    [{ signature: signWebhookBody('another-key-0123456', T, '{"a":1}'), timestamp: String(T) }, '{"a":1}', NOW_MS, 'bad signature'],
    [{ signature: signature.slice(0, 20), timestamp: String(T) }, '{"a":1}', NOW_MS, 'bad signature'],
    // the timestamp is part of what is signed
    [{ signature, timestamp: String(T + 1) }, '{"a":1}', NOW_MS, 'bad signature'],
    // headers missing or not a number
    [{ signature: undefined, timestamp: String(T) }, '{"a":1}', NOW_MS, 'missing headers'],
    [{ signature, timestamp: '1e9' }, '{"a":1}', NOW_MS, 'missing headers'],
  ])('%j over %s at %i → %s', (headers, body, now, problem) => {
    expect(checkWebhookSignature(KEY, headers, body, now)).toBe(problem);
  });
});
