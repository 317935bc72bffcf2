import { fileURLToPath } from 'node:url';
import { ClientProcess } from './client-process.js';
import type { SocketSpec } from './load-messages.js';

const CLIENT = fileURLToPath(new URL('./device-client.ts', import.meta.url));
/** One client process holds them all: well under its open-file limit. */
const MAX_DEVICES = 2500;

export interface DeviceOpenCommand {
  readonly wsUrl: string;
  readonly query: string;
  /** Each device's position (stable across reconnects) and what it subscribes with. */
  readonly devices: ReadonlyArray<{ readonly index: number; readonly spec: SocketSpec }>;
  /** Subscribe with `after: <the device's last cursor>` (null for a device that has none yet). */
  readonly resume: boolean;
  /** Stamp each change's receipt (appNotificationId, monotonic µs) for `takeStamps`. */
  readonly stamp: boolean;
  /** Handshakes in flight at once. */
  readonly concurrency: number;
}

type DeviceEvent = { type: 'reached'; token: number } | { type: 'failure'; message: string };

/**
 * Devices that remember their cursor and can reconnect with it (device-client.ts), in one client process.
 * Unlike LoadPool's sockets, which always subscribe from the feed's head.
 */
export class DevicePool {
  private nextToken = 1;

  private constructor(private readonly process: ClientProcess<DeviceEvent>) {}

  static create(name: string, devices: number): DevicePool {
    if (devices > MAX_DEVICES) throw new Error(`a DevicePool holds at most ${MAX_DEVICES} devices`);
    return new DevicePool(ClientProcess.start<DeviceEvent>(CLIENT, `${name} devices`));
  }

  /**
   * Opens device i with `specs[i]` (all of them, or those in `only`); with `resume`, each subscribes
   * after the last cursor it received.
   */
  async open(
    wsUrl: string,
    query: string,
    specs: readonly SocketSpec[],
    options: { resume?: boolean; stamp?: boolean; concurrency?: number; timeoutMs?: number } = {},
  ): Promise<void> {
    const command: DeviceOpenCommand = {
      wsUrl,
      query,
      devices: specs.map((spec, index) => ({ index, spec })),
      resume: options.resume ?? false,
      stamp: options.stamp ?? false,
      concurrency: options.concurrency ?? 200,
    };
    await this.process.call({ type: 'open', ...command }, options.timeoutMs ?? 120_000);
  }

  /**
   * Starts counting changes (resolves once counting) and returns the promise of `frames` more having
   * arrived, over all devices.
   */
  async arm(frames: number, timeoutMs: number): Promise<{ reached: Promise<void> }> {
    const token = this.nextToken++;
    let stop: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      stop = this.process.onEvent((event) => {
        if (event.type === 'reached' && event.token === token) resolve();
      });
    });
    await this.process.call({ type: 'arm', token, frames }, 30_000);
    const bounded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`devices: ${frames} changes did not arrive within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      reached.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    const armed = this.process.orFailure(bounded).finally(stop);
    // A caller whose own step failed first (e.g. its posts) never awaits this: its later rejection (the
    // devices closing with the failed system) must not end the run as an unhandled rejection, which
    // failed the next system's measurement too. Awaiting it still rejects.
    armed.catch(() => {});
    return { reached: armed };
  }

  /** Changes each device has received since the pool started, across reconnects. */
  counts(): Promise<number[]> {
    return this.process.call<number[]>({ type: 'counts' }, 30_000);
  }

  /** The cursor of the last change each device received (null: none yet). */
  cursors(): Promise<Array<string | null>> {
    return this.process.call<Array<string | null>>({ type: 'cursors' }, 30_000);
  }

  /** The receipts stamped since the last call: [appNotificationId, monotonic µs]. */
  takeStamps(): Promise<Array<[string, number]>> {
    return this.process.call<Array<[string, number]>>({ type: 'takeStamps' }, 60_000);
  }

  /** Closes every device's socket normally (they keep their cursors). */
  async closeSockets(): Promise<void> {
    await this.process.call({ type: 'close' }, 60_000);
  }

  /** Throws the first failure (a socket closed, a RESYNC, an error), if any. */
  check(): void {
    this.process.check();
  }

  orFailure<T>(promise: Promise<T>): Promise<T> {
    return this.process.orFailure(promise);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
