import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../../shared/adapters/http/rate-limiter.ts';
import { createHttpClient } from '../../../../shared/adapters/http/http-client.ts';
import { answerJson, captureLog, fakeClock, startTestServer } from './http-test-kit.ts';

describe('createRateLimiter', () => {
  it('lets the first N requests start at once and holds the next until the oldest leaves the window', async () => {
    const clock = fakeClock(0);
    const limiter = createRateLimiter({ requests: 3, perMs: 3_000 }, clock);
    const starts: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const release = await limiter.acquire();
      starts.push(clock.current());
      release();
    }
    expect(starts).toEqual([0, 0, 0, 3_000, 3_000, 3_000, 6_000]);
  });

  it('counts a sliding window, not a fixed one', async () => {
    const clock = fakeClock(0);
    const limiter = createRateLimiter({ requests: 2, perMs: 1_000 }, clock);
    (await limiter.acquire())(); // t = 0
    await clock.sleep(900);
    (await limiter.acquire())(); // t = 900
    (await limiter.acquire())(); // must wait until the t = 0 request is 1 s old
    expect(clock.current()).toBe(1_000);
    (await limiter.acquire())(); // and this one until the t = 900 request is
    expect(clock.current()).toBe(1_900);
  });

  it('makes concurrent callers take turns', async () => {
    const clock = fakeClock(0);
    const limiter = createRateLimiter({ requests: 1, perMs: 100 }, clock);
    const starts: number[] = [];
    await Promise.all([0, 1, 2].map(async () => {
      const release = await limiter.acquire();
      starts.push(clock.current());
      release();
    }));
    expect(starts).toEqual([0, 100, 200]);
  });

  it('times the window from when the answer came in: the source may have counted a slow request late', async () => {
    const clock = fakeClock(0);
    const limiter = createRateLimiter({ requests: 1, perMs: 1_000 }, clock);
    const release = await limiter.acquire(); // starts at t = 0
    await clock.sleep(400);
    release(); // answered at t = 400
    await limiter.acquire();
    expect(clock.current()).toBe(1_400);
  });

  it('holds the next request while every slot is in flight, and releasing twice frees nothing more', async () => {
    const clock = fakeClock(0);
    const limiter = createRateLimiter({ requests: 1, perMs: 100 }, clock);
    const first = await limiter.acquire();
    let secondStarted: number | undefined;
    const second = limiter.acquire().then((release) => {
      secondStarted = clock.current();
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondStarted).toBeUndefined();
    await clock.sleep(50);
    first();
    first();
    (await second)();
    expect(secondStarted).toBe(150);
    await limiter.acquire();
    expect(clock.current()).toBe(250);
  });

  it('refuses a limit that would never let a request through', () => {
    expect(() => createRateLimiter({ requests: 0, perMs: 1_000 })).toThrow('requests ≥ 1');
  });
});

describe('a client with a rate limit', () => {
  it('spaces bunq-style requests: 3 per 3 s, retries included', async () => {
    const server = await startTestServer((_request, response, index) => (index === 1 ? answerJson(response, 500, {}) : answerJson(response, 200, {})));
    try {
      const clock = fakeClock(0);
      const http = createHttpClient({ source: 'bunq', baseUrl: server.url, log: captureLog().log, clock, random: () => 0, rateLimit: { requests: 3, perMs: 3_000 } });
      for (let i = 0; i < 4; i += 1) await http.request({ path: 'user' });
      // 5 attempts (one retried 500, with a 0 ms backoff): the 4th and 5th wait for the window
      expect(server.requests).toHaveLength(5);
      expect(clock.waits).toEqual([0, 3_000]);
    } finally {
      await server.close();
    }
  });
});
