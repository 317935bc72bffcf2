import { ClientErrorCode, TidingsClientError } from './client-error.js';
import type { DeviceSubscription } from './types.js';

// setTimeout's longest delay (about 24.8 days); a later renewal is waited for in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;
// After a failed renewal (the gateway unreachable, say), the next try.
const RETRY_MS = 60_000;

export interface DeviceRenewalOptions {
  /** Renews when less than this is left before the device subscription expires. */
  readonly renewBeforeMs: number;
  /** Asks the gateway to extend it; resolves with the renewed device subscription. */
  readonly renew: () => Promise<DeviceSubscription>;
  readonly onRenewed: (device: DeviceSubscription) => void;
  /** A renewal failed; it is tried again unless the device subscription is gone (NOT_FOUND). */
  readonly onError: (error: unknown) => void;
}

/**
 * Keeps a device subscription from expiring: renews it `renewBeforeMs` before its expiry, then waits
 * for the next expiry. Runs on the device's clock; a few seconds of skew do not matter against a window
 * of days.
 */
export function createDeviceRenewal(options: DeviceRenewalOptions) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function renewNow(): Promise<DeviceSubscription> {
    clearTimeout(timer);
    try {
      const device = await options.renew();
      if (!stopped) {
        options.onRenewed(device);
        // Never again at once: see `schedule`.
        const left = Date.parse(device.expirationDateTime) - Date.now();
        schedule(device.expirationDateTime, Date.now() + Math.max(left / 2, RETRY_MS));
      }
      return device;
    } catch (error) {
      if (!stopped && !(error instanceof TidingsClientError && error.code === ClientErrorCode.NotFound)) {
        options.onError(error);
        wait(RETRY_MS);
      }
      throw error;
    }
  }

  function wait(ms: number) {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(
      () => {
        renewNow().catch(() => {}); // reported through onError
      },
      Math.min(ms, MAX_TIMER_MS),
    );
  }

  /**
   * Plans the renewal of a device subscription expiring at `expirationDateTime` (ISO 8601), not before
   * `notBefore` (epoch ms). After a renewal that is half of the new lifetime (at least RETRY_MS): a
   * `renewBeforeMs` longer than the gateway's lifetime, or a device clock weeks ahead, would otherwise
   * renew again at once, in a loop.
   */
  function schedule(expirationDateTime: string, notBefore = 0) {
    const now = Date.now();
    const delay = Math.max(Date.parse(expirationDateTime) - options.renewBeforeMs, notBefore) - now;
    if (stopped) return;
    // Past MAX_TIMER_MS the timer fires early and renewNow would renew too soon: wake up and plan again.
    if (delay > MAX_TIMER_MS) {
      clearTimeout(timer);
      timer = setTimeout(() => schedule(expirationDateTime, notBefore), MAX_TIMER_MS);
    } else {
      wait(Math.max(0, delay));
    }
  }

  return {
    schedule,
    renewNow,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
