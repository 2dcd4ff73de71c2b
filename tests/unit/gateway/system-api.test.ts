import { describe, expect, it } from 'vitest';
import { omitEmpty } from '../../../dev/gateway/system-api.ts';

describe('omitEmpty', () => {
  it('drops what Go omitempty drops and keeps the rest', () => {
    expect(omitEmpty({ name: 'a', image: '', count: 0, list: [], map: {}, kept: { k: 'v' }, flag: false, n: 2 })).toEqual({
      name: 'a', kept: { k: 'v' }, flag: false, n: 2,
    });
  });
});
