import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { forwardableHeaders, stampCall, stampResponseHeaders } from '../../../dev/gateway/call-id.ts';

const request = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('stampCall', () => {
  it('keeps a call id the caller sent and does not echo it', () => {
    const stamp = stampCall(request({ 'x-call-id': 'given' }), 1_700_000_000_123);
    expect(stamp).toEqual({ callId: 'given', generated: false, startTime: '1700000000123000000' });
    expect(stampResponseHeaders(stamp)).toEqual({ 'X-Start-Time': '1700000000123000000', 'X-Served-By': 'openfaas-ce/0.27.13' });
  });

  it('generates a UUID when none was sent and echoes it', () => {
    const stamp = stampCall(request({}));
    expect(stamp.generated).toBe(true);
    expect(stamp.callId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(stampResponseHeaders(stamp)['X-Call-Id']).toBe(stamp.callId);
  });
});

describe('forwardableHeaders', () => {
  it('lower-cases names, keeps repeated headers and drops hop-by-hop ones and those Connection names', () => {
    const raw = [
      'X-Trace', 'a', 'x-trace', 'b', 'Connection', 'keep-alive, X-Private', 'X-Private', 'no', 'Transfer-Encoding', 'chunked',
      'Keep-Alive', 'timeout=5', 'Host', 'h', 'Content-Type', 'text/plain',
    ];
    expect(forwardableHeaders(raw, ['host'])).toEqual({ 'x-trace': ['a', 'b'], 'content-type': ['text/plain'] });
  });
});
