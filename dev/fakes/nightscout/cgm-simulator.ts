/**
 * Realistic CGM data for the fake Nightscout: a Dexcom-like reading every 5 minutes of a person with type 1 diabetes,
 * with what makes glucose hard to forecast and what makes it possible — a daily rhythm (higher before dawn), three
 * meals a day at varying times and sizes (a rise over about an hour, brought down by insulin over the next three),
 * a slow wandering drift and sensor noise. Seeded, and a pure function of the time: the same seed and time give the
 * same reading, so tests and the training figures in docs/actions.md repeat. The shapes are plausible, not
 * physiological: enough for a model that beats persistence to be measured honestly.
 */
import type { NightscoutDocument } from './fake-nightscout.ts';

const FIVE_MINUTES = 300_000;
const DAY = 86_400_000;

/** What to simulate. */
export interface CgmOptions {
  /** The newest reading's time (epoch ms), on a 5-minute boundary. */
  readonly end: number;
  readonly days: number;
  /** Default 1. */
  readonly seed?: number;
  /** The first `_id` counter (ids must not collide with other entries of a dataset). Default 1_000_000. */
  readonly firstCounter?: number;
}

/** A reading before it becomes an entry. */
export interface CgmReading {
  readonly date: number;
  readonly sgv: number;
}

/** mulberry32: a small, good-enough seeded generator (tests need repeatable data, not cryptography). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A meal: when (epoch ms), how much glucose it adds at its peak, and how fast it comes. */
interface Meal {
  readonly at: number;
  readonly rise: number;
  readonly peakMinutes: number;
}

/** A generator for one key (a day, a reading time) of a seed: the same key always draws the same numbers. */
function randomFor(seed: number, key: number): () => number {
  return seededRandom(Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(Math.floor(key), 0x85ebca6b) ^ Math.floor(key / 4_294_967_296));
}

/** The meals of the UTC day `day` (days since the epoch): breakfast, lunch and dinner at varying times and sizes, some days a snack. */
function mealsOfDay(seed: number, day: number): Meal[] {
  const random = randomFor(seed, day);
  const hours = [7.5, 12.5, 18.5];
  if (random() < 0.4) hours.push(15.5);
  return hours.map((hour) => ({
    at: day * DAY + (hour + (random() - 0.5) * 1.5) * 3_600_000,
    rise: hour === 15.5 ? 25 + 20 * random() : 45 + 90 * random(),
    peakMinutes: 45 + 30 * random(),
  }));
}

/**
 * A meal's effect `minutes` after it: a gamma-like rise to `rise` at its peak, then the bolus's insulin outlasting
 * the carbs (a dip below the level before, about three and a half hours later), back to nothing in about five hours.
 */
function mealEffect(meal: Meal, minutes: number): number {
  if (minutes <= 0) return 0;
  const x = minutes / meal.peakMinutes;
  return meal.rise * (x * x * Math.exp(2 * (1 - x)) - 0.35 * Math.exp(-(((minutes - 210) / 55) ** 2)));
}

/** A slow wandering of the level (stress, activity, sensor drift): slow waves with phases of the seed, ±10 mg/dL. */
function drift(seed: number, date: number): number {
  const phases = randomFor(seed, -1);
  return [3, 7, 17].reduce((sum, hours, index) => sum + [5, 4, 3][index]! * Math.sin((2 * Math.PI * date) / (hours * 3_600_000) + 2 * Math.PI * phases()), 0);
}

/**
 * The glucose a CGM reads at `date` (a 5-minute boundary), from the time and the seed alone — so a fake started
 * again, or one that keeps uploading, serves the same value for the same time: a base level with a daily rhythm
 * (higher before dawn, lowest in the afternoon), the meals of the last hours, a slow drift and sensor noise,
 * clamped to what a Dexcom reports (40–400 mg/dL).
 */
export function cgmReadingAt(date: number, seed = 1): number {
  const hour = (date % DAY) / 3_600_000;
  const rhythm = 18 * Math.cos(((hour - 5) / 24) * 2 * Math.PI);
  const day = Math.floor(date / DAY);
  const eaten = [...mealsOfDay(seed, day - 1), ...mealsOfDay(seed, day)].reduce((sum, meal) => sum + mealEffect(meal, (date - meal.at) / 60_000), 0);
  const noise = 3 * normal(randomFor(seed, date / FIVE_MINUTES));
  return Math.round(Math.min(400, Math.max(40, 112 + rhythm + eaten + drift(seed, date) + noise)));
}

/** The readings, oldest first: one every 5 minutes for `days` days, the newest at `end` (see `cgmReadingAt`). */
export function simulateCgm(options: CgmOptions): CgmReading[] {
  const count = Math.round((options.days * DAY) / FIVE_MINUTES);
  const start = options.end - (count - 1) * FIVE_MINUTES;
  return Array.from({ length: count }, (_, index) => {
    const date = start + index * FIVE_MINUTES;
    return { date, sgv: cgmReadingAt(date, options.seed ?? 1) };
  });
}

/** Nightscout's trend arrow of a change in mg/dL per minute, as Dexcom names it. */
export function directionOf(perMinute: number): string {
  if (perMinute > 3) return 'DoubleUp';
  if (perMinute > 2) return 'SingleUp';
  if (perMinute > 1) return 'FortyFiveUp';
  if (perMinute >= -1) return 'Flat';
  if (perMinute >= -2) return 'FortyFiveDown';
  if (perMinute >= -3) return 'SingleDown';
  return 'DoubleDown';
}

/**
 * The `sgv` entry xDrip uploads for the reading at `date`, with the trend arrow of the last 15 minutes; its `_id` is
 * the time and `counter`, so it does not collide with the recorded fixtures'.
 */
export function cgmEntryAt(date: number, counter: number, seed = 1): NightscoutDocument {
  const sgv = cgmReadingAt(date, seed);
  const iso = new Date(date).toISOString();
  return {
    _id: Math.floor(date / 1000).toString(16).padStart(8, '0') + counter.toString(16).padStart(16, '0'),
    type: 'sgv',
    sgv,
    direction: directionOf((sgv - cgmReadingAt(date - 3 * FIVE_MINUTES, seed)) / 15),
    noise: 1,
    filtered: sgv * 1000 + 412,
    unfiltered: sgv * 1000 + 980,
    rssi: 100,
    date,
    dateString: iso,
    sysTime: iso,
    utcOffset: 0,
    device: 'xDrip-DexcomG6',
  };
}

/** The readings of `simulateCgm` as the entries xDrip uploads (newest first, as Nightscout answers). */
export function cgmEntries(options: CgmOptions): NightscoutDocument[] {
  const firstCounter = options.firstCounter ?? 1_000_000;
  return simulateCgm(options)
    .map((reading, index) => cgmEntryAt(reading.date, firstCounter + index, options.seed ?? 1))
    .reverse();
}
