import { describe, expect, it } from 'vitest';
import { cgmEntries, cgmReadingAt, directionOf, simulateCgm } from '../../../dev/fakes/nightscout/cgm-simulator.ts';

const END = Date.parse('2026-03-18T18:00:00.000Z');
const FIVE_MINUTES = 300_000;

describe('simulateCgm', () => {
  const readings = simulateCgm({ end: END, days: 14, seed: 1 });
  const values = readings.map((reading) => reading.sgv);
  const share = (test: (sgv: number) => boolean) => values.filter(test).length / values.length;

  it('gives 288 readings a day, 5 minutes apart, the newest at the end', () => {
    expect(readings).toHaveLength(14 * 288);
    expect(readings.at(-1)?.date).toBe(END);
    expect(readings.every((reading, index) => index === 0 || reading.date - (readings[index - 1]?.date ?? 0) === FIVE_MINUTES)).toBe(true);
  });

  it('looks like a person with type 1 diabetes: mostly in range, some highs and lows, within what a Dexcom reports', () => {
    const mean = values.reduce((sum, sgv) => sum + sgv, 0) / values.length;
    expect(mean).toBeGreaterThan(110);
    expect(mean).toBeLessThan(150);
    expect(share((sgv) => sgv >= 70 && sgv <= 180)).toBeGreaterThan(0.75);
    expect(share((sgv) => sgv > 180)).toBeGreaterThan(0.03);
    expect(share((sgv) => sgv < 70)).toBeGreaterThan(0.005);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...values)).toBeLessThanOrEqual(400);
  });

  it('moves enough that persistence is a poor forecast (an hour ahead, off by more than 30 mg/dL)', () => {
    const errors = values.slice(12).map((sgv, index) => sgv - (values[index] ?? 0));
    expect(Math.sqrt(errors.reduce((sum, error) => sum + error * error, 0) / errors.length)).toBeGreaterThan(30);
  });

  it('is a function of the time and the seed alone: the same reading whatever the window, another seed another day', () => {
    const later = simulateCgm({ end: END + 2 * 86_400_000, days: 14, seed: 1 });
    expect(later.find((reading) => reading.date === END)?.sgv).toBe(values.at(-1));
    expect(cgmReadingAt(END, 1)).toBe(values.at(-1));
    expect(simulateCgm({ end: END, days: 1, seed: 2 }).map((reading) => reading.sgv)).not.toEqual(values.slice(-288));
  });
});

describe('cgmEntries', () => {
  it('shapes the readings as xDrip uploads them, newest first, with trend arrows', () => {
    const entries = cgmEntries({ end: END, days: 1 });
    expect(entries).toHaveLength(288);
    expect(entries[0]).toMatchObject({ type: 'sgv', date: END, dateString: new Date(END).toISOString(), device: 'xDrip-DexcomG6' });
    expect(new Set(entries.map((entry) => entry._id)).size).toBe(288);
  });

  it.each([
    [3.5, 'DoubleUp'],
    [2.5, 'SingleUp'],
    [1.5, 'FortyFiveUp'],
    [0, 'Flat'],
    [-1.5, 'FortyFiveDown'],
    [-2.5, 'SingleDown'],
    [-3.5, 'DoubleDown'],
  ])('names %d mg/dL a minute %s', (perMinute, arrow) => {
    expect(directionOf(perMinute)).toBe(arrow);
  });
});
