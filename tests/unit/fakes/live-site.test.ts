import { describe, expect, it } from 'vitest';
import { cgmReadingAt } from '../../../dev/fakes/nightscout/cgm-simulator.ts';
import { liveSiteData } from '../../../dev/fakes/nightscout/live-site.ts';

const FIVE_MINUTES = 300_000;
const NOW = Date.UTC(2026, 11, 2, 9, 7, 30);

describe('liveSiteData', () => {
  const readings = (now: number) => liveSiteData(now, 2).entries.filter((entry) => typeof entry.date === 'number' && entry.device === 'xDrip-DexcomG6');

  it('serves the simulated CGM (meals, rhythm, noise) every 5 minutes up to now, so NSC01 trains on realistic data', () => {
    const entries = readings(NOW);
    expect(entries).toHaveLength(2 * 288);
    expect(entries.at(-1)?.date).toBe(Math.floor(NOW / FIVE_MINUTES) * FIVE_MINUTES);
    for (const entry of entries) expect(entry.sgv).toBe(cgmReadingAt(entry.date as number));
  });

  it('serves the same documents for the same times when started again later, so nothing lands twice', () => {
    const later = new Map(readings(NOW + 3 * 3_600_000).map((entry) => [entry.date, entry]));
    const overlap = readings(NOW).filter((entry) => later.has(entry.date));
    expect(overlap.length).toBeGreaterThan(500);
    for (const entry of overlap) expect(later.get(entry.date)).toEqual(entry);
  });
});
