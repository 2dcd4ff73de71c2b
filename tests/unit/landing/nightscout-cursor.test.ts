import { describe, expect, it } from 'vitest';
import { readNightscoutPosition, writeNightscoutPosition } from '../../../shared/layers/landing/nightscout/nightscout-cursor.ts';

const cursor = (position: string | null) => ({ window_start: null, window_end: new Date(0), position });

describe('the Nightscout cursor position', () => {
  it('reads a position of version 1 (API v1 only), so an upgraded connector continues where it stood', () => {
    const v1 = JSON.stringify({ version: 1, collections: { entries: { since_ms: 5, ids_at_since: ['a'] } } });
    expect(readNightscoutPosition(cursor(v1))).toEqual({ version: 2, collections: { entries: { since_ms: 5, ids_at_since: ['a'] } }, history: {}, lookback_at: {} });
  });

  it('reads a position that holds only some collections (a system reading only entries)', () => {
    const written = writeNightscoutPosition(undefined, { collections: { entries: { since_ms: 5, ids_at_since: [] } }, history: {}, lookback_at: {} });
    expect(readNightscoutPosition(cursor(written))?.collections).toEqual({ entries: { since_ms: 5, ids_at_since: [] } });
  });

  it('never moves a boundary backwards, and keeps what this batch did not touch', () => {
    const previous = readNightscoutPosition(
      cursor(
        JSON.stringify({
          version: 2,
          collections: { entries: { since_ms: 50, ids_at_since: ['e'] }, treatments: { since_ms: 40, ids_at_since: [] } },
          history: { entries: { since_ms: 70, ids_at_since: ['x'] } },
          lookback_at: { entries: 1 },
        }),
      ),
    );
    const written = writeNightscoutPosition(previous, {
      collections: { entries: { since_ms: 30, ids_at_since: ['old'] } },
      history: { entries: { since_ms: 90, ids_at_since: ['y'] }, treatments: { since_ms: 10, ids_at_since: [] } },
      lookback_at: { entries: 2 },
    });
    expect(JSON.parse(written)).toEqual({
      version: 2,
      collections: { entries: { since_ms: 50, ids_at_since: ['e'] }, treatments: { since_ms: 40, ids_at_since: [] } },
      history: { entries: { since_ms: 90, ids_at_since: ['y'] }, treatments: { since_ms: 10, ids_at_since: [] } },
      lookback_at: { entries: 2 },
    });
  });

  it.each([
    ['no position', null],
    ['text that is not JSON', 'batch-0003'],
    ['another connector\'s position', JSON.stringify({ version: 1, newest_id: 7 })],
  ])('reads nothing from %s', (_case, position) => {
    expect(readNightscoutPosition(cursor(position))).toBeUndefined();
  });
});
