import { describe, expect, it } from 'vitest';
import { durationSeconds, loadLandingConfig } from '../../../shared/layers/landing/landing-config.ts';

describe('durationSeconds', () => {
  it.each<[string, number | undefined]>([
    ['300', 300],
    ['300s', 300],
    ['5m', 300],
    ['1m30s', 90],
    ['1h', 3600],
    ['0.5s', 1],
    ['', undefined],
    ['5 minutes', undefined],
  ])('reads %j as %j seconds', (text, seconds) => {
    expect(durationSeconds(text)).toBe(seconds);
  });
});

describe('loadLandingConfig', () => {
  it('defaults to database "landing" and 300 s', () => {
    expect(loadLandingConfig({})).toEqual({ database: 'landing', timeoutSeconds: 300 });
  });

  it("takes the watchdog's exec_timeout as the landing's timeout", () => {
    expect(loadLandingConfig({ LANDING_DB: 'landing_test', exec_timeout: '2m' })).toEqual({ database: 'landing_test', timeoutSeconds: 120 });
  });

  it('names a malformed variable', () => {
    expect(() => loadLandingConfig({ LANDING_DB: 'bad name' })).toThrow('LANDING_DB: expected a MongoDB database name');
    expect(() => loadLandingConfig({ exec_timeout: 'soon' })).toThrow('exec_timeout: expected a duration like "300s" or "5m", got "soon"');
  });
});
