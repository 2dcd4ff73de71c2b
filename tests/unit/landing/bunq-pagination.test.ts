import { describe, expect, it } from 'vitest';
import { pageOf } from '../../../dev/fakes/bunq/bunq-paging.ts';
import { UpstreamError } from '../../../shared/errors.ts';
import { readPageParams } from '../../../shared/layers/landing/bunq/bunq-envelope.ts';

describe('readPageParams', () => {
  it.each([
    ['/v1/user/1/monetary-account/1/payment?count=25&older_id=224', { count: 25, older_id: 224 }],
    ['/v1/user/1/monetary-account/1/payment?count=25&newer_id=249', { count: 25, newer_id: 249 }],
    ['/v1/user/1/monetary-account/1/payment?newer_id=249', { newer_id: 249 }],
    ['https://api.bunq.com/v1/user/1/monetary-account?older_id=3', { older_id: 3 }],
  ])('reads %s', (url, expected) => {
    expect(readPageParams(url)).toEqual(expected);
  });

  it('says there is no page for null', () => {
    expect(readPageParams(null)).toBeUndefined();
    expect(readPageParams(undefined)).toBeUndefined();
  });

  it('refuses an id that is not an integer', () => {
    expect(() => readPageParams('/v1/x?older_id=12a')).toThrow(UpstreamError);
  });
});

describe('the fake bunq list paging', () => {
  const items = Array.from({ length: 25 }, (_, index) => ({ id: 101 + index, raw: `{"Payment":{"id":${101 + index}}}` }));
  const ids = (page: { id: number }[]): number[] => page.map((item) => item.id);

  it('serves the newest page first, with an older_url and a future_url', () => {
    const { page, pagination } = pageOf(items, '/user/1/monetary-account/1/payment', new URLSearchParams('count=10'));
    expect(ids(page)).toEqual([125, 124, 123, 122, 121, 120, 119, 118, 117, 116]);
    expect(pagination).toEqual({
      future_url: '/v1/user/1/monetary-account/1/payment?count=10&newer_id=125',
      newer_url: null,
      older_url: '/v1/user/1/monetary-account/1/payment?count=10&older_id=116',
    });
  });

  it('serves the items just above newer_id, still newest first', () => {
    const { page, pagination } = pageOf(items, '/p', new URLSearchParams('count=3&newer_id=110'));
    expect(ids(page)).toEqual([113, 112, 111]);
    expect(pagination.newer_url).toBe('/v1/p?count=3&newer_id=113');
    expect(pagination.older_url).toBe('/v1/p?count=3&older_id=111');
  });

  it('ends with a null older_url and defaults to 10 items', () => {
    const { page, pagination } = pageOf(items, '/p', new URLSearchParams('older_id=105'));
    expect(ids(page)).toEqual([104, 103, 102, 101]);
    expect(pagination.older_url).toBeNull();
  });

  it('refuses a count over 200', () => {
    expect(() => pageOf(items, '/p', new URLSearchParams('count=201'))).toThrow(/between 1 and 200/);
  });
});
