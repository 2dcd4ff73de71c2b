import { describe, expect, it } from 'vitest';
import { parseCallbackUrl } from '../../../dev/gateway/async-route.ts';

describe('parseCallbackUrl', () => {
  it.each([
    ['http://127.0.0.1:9000/cb?x=1', { url: 'http://127.0.0.1:9000/cb?x=1' }],
    ['https://example.org/hook', { url: 'https://example.org/hook' }],
    ['not a url', { error: 'not an absolute URL' }],
    ['/relative', { error: 'not an absolute URL' }],
    ['ftp://example.org/x', { error: 'unsupported scheme ftp:' }],
  ])('%s → %o', (value, expected) => {
    expect(parseCallbackUrl(value)).toEqual(expected);
  });
});
