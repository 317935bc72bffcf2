import { describe, expect, it } from 'vitest';
import { SWEEP_MAX_SLEEP_MS } from '../../src/maintenance/sweeper.js';
import { watchTimers } from '../support/armed-timers.js';
import { createTestClock } from '../support/clock.js';
import { startGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, notificationInput, postNotification } from '../support/operations.js';
import { eventually } from '../support/state-operations.js';
import { storeCalls } from '../support/store-calls.js';

// The sweeper sleeps until the earliest thing known to fall due, woken sooner by what this process
// commits, and never longer than SWEEP_MAX_SLEEP_MS (issue 14: an idle gateway's CPU). The gateway runs
// in this process, so the sweeper's timers are seen here (test/support/armed-timers.ts). Counts and
// delays asked for, not times taken.

/** The delays of the sweeper's pending timers. */
const sweeperTimers = watchTimers('src/maintenance/sweep-timer.ts');

describe("the sweeper's timer", () => {
  it('an idle sweeper sleeps the bound, not the interval', async () => {
    const t = await startGateway({ env: { TIDINGS_SWEEP_INTERVAL_MS: '20' } });
    // Its first pass comes an interval after the start; then it asks when anything falls due next.
    await eventually(async () => expect(await storeCalls(t.origin, 'nextSweepDue')).toBe(1));
    // Nothing stored falls due: one timer, for the bound (a fixed timer would be one of 20 ms).
    await eventually(async () => expect(sweeperTimers()).toEqual([SWEEP_MAX_SLEEP_MS]));
    expect(await storeCalls(t.origin, 'sweepIsDue')).toBe(1);
  });

  it('a notification expiring soon is swept when it expires, woken by its own post, not at the bound', async () => {
    const host = 'sweep-soon.example.com';
    const t = await startGateway({ env: { TIDINGS_SWEEP_INTERVAL_MS: '20' } });
    const app = await t.registerApp(host);
    const appToken = await app.token();
    const unsid = await createDevice(t.url, await t.userToken('soon', app.app), 'WEB');
    await eventually(async () => expect(sweeperTimers()).toEqual([SWEEP_MAX_SLEEP_MS]));
    const passesBefore = await storeCalls(t.origin, 'sweepIsDue');

    const expiresAt = new Date(Date.now() + 1500);
    const posted = dataOf(
      await postNotification(
        t.url,
        appToken,
        notificationInput(unsid, host, { expirationDateTime: expiresAt.toISOString() }),
      ),
    );
    const id = posted.createNotification.notification.id as string;
    // The post re-armed the timer for its expiry.
    const delays = sweeperTimers();
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeLessThanOrEqual(1500);

    await eventually(async () => {
      expect((await t.gateway.services.store.findNotificationById(id))?.status).toBe('DELETED');
    });
    // Swept by one pass at its expiry (at most one more: a pass that found it due a moment early), not
    // one every 20 ms while waiting.
    expect((await storeCalls(t.origin, 'sweepIsDue')) - passesBefore).toBeLessThanOrEqual(2);
    // Then back to sleeping the bound: nothing else falls due.
    await eventually(async () => expect(sweeperTimers()).toEqual([SWEEP_MAX_SLEEP_MS]));
  });
});

describe('the store: when the next sweep falls due', () => {
  it('the first expiry, or the first log entry to leave retention, whichever comes first', async () => {
    const host = 'next-due.example.com';
    const clock = createTestClock();
    const HOUR = 3_600_000;
    const t = await startGateway({
      now: clock.now,
      env: { TIDINGS_SWEEP_INTERVAL_MS: '0', TIDINGS_APP_TOKEN_TTL: '1d', TIDINGS_LOG_RETENTION: '7200' },
    });
    const store = t.gateway.services.store;
    const app = await t.registerApp(host);
    const appToken = await app.token();
    const unsid = await createDevice(t.url, await t.userToken('next', app.app), 'WEB');
    const posted = clock.now();
    // The device subscription's expiry is days away, plus retention: not the earliest.
    const device = await store.findDeviceSubscription(unsid);
    expect(await store.nextSweepDue(2 * HOUR, clock.now())).toEqual(
      new Date((device?.expirationDateTime.getTime() ?? 0) + 2 * HOUR),
    );

    await postNotification(
      t.url,
      appToken,
      notificationInput(unsid, host, { expirationDateTime: new Date(posted.getTime() + HOUR).toISOString() }),
    );
    expect(await store.nextSweepDue(2 * HOUR, clock.now())).toEqual(new Date(posted.getTime() + HOUR));

    // Expired and swept: what falls due next is its change leaving retention (the EXPIRED one too is
    // younger), then the tombstone with it.
    clock.advance(HOUR);
    expect((await t.gateway.sweepOnce()).expired).toBe(1);
    expect(await store.nextSweepDue(2 * HOUR, clock.now())).toEqual(new Date(posted.getTime() + 2 * HOUR));
  });
});
