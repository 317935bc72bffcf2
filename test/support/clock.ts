/**
 * A clock for a gateway (`startGateway({ now: clock.now })`) that stands still until the test moves it:
 * nothing timed by it (tokens, notification expiry, fallbacks, retention) comes due on its own, so a test
 * never races the real clock.
 */
export function createTestClock(start: Date = new Date()) {
  let current = start;
  return {
    now: (): Date => current,
    advance(ms: number): void {
      current = new Date(current.getTime() + ms);
    },
    set(date: Date): void {
      current = date;
    },
  };
}
