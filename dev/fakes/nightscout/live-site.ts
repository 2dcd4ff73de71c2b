/**
 * A Nightscout site that keeps going, for the fake `npm start` runs in the background (dev/fakes/local-sources.ts):
 * the last days of simulated CGM readings (cgm-simulator.ts), then one more every 5 minutes as an uploader sends them, beside the recorded
 * treatments, device status, profiles and the drift reading (tests/fixtures/nightscout). A reading's `_id` and values
 * follow from its time alone, so a fake started again serves the same documents for the same times and NSC01 sees
 * nothing twice.
 */
import { devicestatus, driftEntry, profiles, treatments } from '../../../tests/fixtures/nightscout/dataset.ts';
import { cgmEntryAt } from './cgm-simulator.ts';
import type { FakeNightscout, NightscoutData, NightscoutDocument } from './fake-nightscout.ts';

const FIVE_MINUTES = 300_000;

/** The reading a CGM uploads at `date` (a 5-minute boundary): the simulated CGM's (meals, rhythm, noise), its id from the time. */
function readingAt(date: number): NightscoutDocument {
  return cgmEntryAt(date, Math.floor(date / FIVE_MINUTES));
}

/** Readings every 5 minutes after `after` (exclusive) up to `until` (inclusive). */
function readingsBetween(after: number, until: number): NightscoutDocument[] {
  const readings: NightscoutDocument[] = [];
  for (let date = (Math.floor(after / FIVE_MINUTES) + 1) * FIVE_MINUTES; date <= until; date += FIVE_MINUTES) readings.push(readingAt(date));
  return readings;
}

/** The site at `now`: `days` of readings up to the last 5-minute boundary, and the recorded documents. */
export function liveSiteData(now: number, days: number): NightscoutData {
  return {
    entries: [...readingsBetween(now - days * 86_400_000, now), driftEntry()],
    treatments: treatments(),
    devicestatus: devicestatus(),
    profile: profiles(),
  };
}

/**
 * Uploads the readings after `since` (the `now` of `liveSiteData`) whose time has come, every minute, until `stop()`:
 * the site grows by one reading per 5 minutes, as a real one does.
 */
export function keepUploading(fake: FakeNightscout, since: number, now: () => number = Date.now): { stop(): void } {
  let uploadedUntil = since;
  const timer = setInterval(() => {
    const until = now();
    fake.insert('entries', readingsBetween(uploadedUntil, until));
    uploadedUntil = until;
  }, 60_000);
  return { stop: () => clearInterval(timer) };
}
