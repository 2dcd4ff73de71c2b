import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../shared/errors.ts';
import { parseGoDuration, readServerSettings } from '../../../templates/dataplatform-node20/settings.ts';

describe('readServerSettings', () => {
  it('defaults to port 3000, 1 MiB bodies and 10 s to drain', () => {
    expect(readServerSettings({})).toEqual({ port: 3000, maxBodyBytes: 1_048_576, shutdownTimeoutMs: 10_000 });
  });

  it('reads http_port, MAX_BODY_BYTES and the watchdog write_timeout', () => {
    expect(readServerSettings({ http_port: '8082', MAX_BODY_BYTES: '256000', write_timeout: '5m5s' })).toEqual({
      port: 8082,
      maxBodyBytes: 256_000,
      shutdownTimeoutMs: 305_000,
    });
  });

  it.each([
    [{ http_port: 'abc' }, 'invalid environment: http_port: expected an integer from 0 to 65535'],
    [{ http_port: '70000' }, 'invalid environment: http_port: expected an integer from 0 to 65535'],
    [{ MAX_BODY_BYTES: '1mb' }, 'invalid environment: MAX_BODY_BYTES: expected an integer from 0 to 9007199254740991'],
    [{ write_timeout: 'soon' }, 'invalid environment: write_timeout: expected a duration like 15s'],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => readServerSettings(env)).toThrow(new ConfigurationError(message));
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['15s', 15_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['20', 20_000], // bare seconds, as the watchdog accepts
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', 's', '10x', '10s junk', '-5s'])('refuses %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
