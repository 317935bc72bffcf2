import { describe, expect, it, vi } from 'vitest';
import { createExpirySweep } from '../../src/websocket/expiry-sweep.js';
import { createTestClock } from '../support/clock.js';

// The sweep on its own, on a clock the test moves and a short real interval: what expires, when, once.
const INTERVAL_MS = 5;

/** A sweep whose expired items are recorded, and a count of the ticks that read the clock. */
function setUp() {
  const clock = createTestClock(new Date('2026-01-01T00:00:00Z'));
  const start = clock.now().getTime();
  const expired: string[] = [];
  let ticks = 0;
  const sweep = createExpirySweep<string>({
    now: () => {
      ticks++;
      return clock.now();
    },
    intervalMs: INTERVAL_MS,
    expire: (item) => expired.push(item),
  });
  /** Resolves once the sweep has read the clock `count` more times. */
  const ticksPass = async (count: number) => {
    const target = ticks + count;
    await expect.poll(() => ticks).toBeGreaterThanOrEqual(target);
  };
  return { clock, start, expired, sweep, ticksPass };
}

describe('the expiry sweep', () => {
  it('expires each item once, on the first tick at or past its instant, and never one removed', async () => {
    const s = setUp();
    s.sweep.add('a', s.start + 1000);
    s.sweep.add('b', s.start + 1001); // the same bucket as a, a millisecond later
    s.sweep.add('c', s.start + 60_000);
    s.sweep.add('removed', s.start + 1000);
    s.sweep.remove('removed', s.start + 1000);
    expect(s.sweep.size).toBe(3);

    await s.ticksPass(3);
    expect(s.expired).toEqual([]); // the clock stands still: nothing is due

    s.clock.set(new Date(s.start + 1000));
    await expect.poll(() => s.expired).toEqual(['a']);
    s.clock.set(new Date(s.start + 1001));
    await expect.poll(() => s.expired).toEqual(['a', 'b']);
    await s.ticksPass(3);
    expect(s.expired).toEqual(['a', 'b']); // once each
    expect(s.sweep.size).toBe(1);

    // A jump far ahead (a corrected clock) expires what it passed, whatever its bucket.
    s.clock.advance(3_600_000);
    await expect.poll(() => s.expired).toEqual(['a', 'b', 'c']);
    expect(s.sweep.size).toBe(0);
  });

  it('starts one timer for any number of items, and stops it once nothing is watched', async () => {
    const s = setUp();
    // Observed, not replaced: the timers are Node's own.
    const started = vi.spyOn(globalThis, 'setInterval');
    const stopped = vi.spyOn(globalThis, 'clearInterval');
    try {
      for (let i = 0; i < 1000; i++) s.sweep.add(`item ${i}`, s.start + 1000 + i * 997);
      expect(started).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 1000; i++) s.sweep.remove(`item ${i}`, s.start + 1000 + i * 997);
      expect(s.sweep.size).toBe(0);
      expect(stopped).toHaveBeenCalledTimes(1);
      expect(stopped).toHaveBeenCalledWith(started.mock.results[0]?.value);

      // And once everything watched has expired; a new item starts it again.
      s.sweep.add('last', s.start + 10);
      expect(started).toHaveBeenCalledTimes(2);
      s.clock.advance(10);
      await expect.poll(() => s.expired).toEqual(['last']);
      expect(stopped).toHaveBeenCalledTimes(2);
      expect(stopped).toHaveBeenLastCalledWith(started.mock.results[1]?.value);
    } finally {
      started.mockRestore();
      stopped.mockRestore();
    }
  });
});
