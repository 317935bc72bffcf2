import { describe, expect, it, vi } from 'vitest';
import { createDeliveryRecorder } from '../../src/delivery/delivery-recorder.js';
import { startGateway } from '../support/gateway.js';
import { createDevice } from '../support/operations.js';

// A live feed notes per frame that its device was sent (from, to]; the recorder writes the newest offset
// per device and stretch once per flush. A device's own recorder (deviceRecorder, what a feed calls per
// frame) keeps its pending mark at hand: it must write exactly what `delivered` would.

describe('delivery recorder', () => {
  it("writes a device's newest offset per stretch and flush, whichever way it was noted", async () => {
    const t = await startGateway();
    const app = await t.registerApp('marks.example.com');
    const token = await t.userToken('marked', app.app);
    const device = await createDevice(t.url, token, 'WEB');
    const other = await createDevice(t.url, token, 'ANDROID');
    const { store } = t.gateway.services;
    const written = vi.spyOn(store, 'recordDeliveryMarks');
    const recorder = createDeliveryRecorder(store, {
      intervalMs: 3_600_000, // flushed by the test only
      now: () => new Date(),
      onError: (error) => {
        throw error;
      },
    });
    const flushed = async () => {
      written.mockClear();
      await recorder.flush();
      return written.mock.calls.flatMap(([marks]) =>
        marks.map(({ deviceSubscriptionId, fromOffset, offset }) => ({
          deviceSubscriptionId,
          fromOffset,
          offset,
        })),
      );
    };
    try {
      const noted = recorder.deviceRecorder(device);
      noted(5, 6);
      noted(5, 7);
      recorder.delivered(other, 5, 6);
      expect(await flushed()).toEqual([
        { deviceSubscriptionId: device, fromOffset: 5, offset: 7 },
        { deviceSubscriptionId: other, fromOffset: 5, offset: 6 },
      ]);
      // After a flush, the mark it kept is written: the next frame starts a new one.
      noted(5, 8);
      expect(await flushed()).toEqual([{ deviceSubscriptionId: device, fromOffset: 5, offset: 8 }]);
      // A new stretch (after a resync) is a mark of its own; both ways of noting meet in one mark.
      noted(5, 9);
      noted(20, 21);
      recorder.delivered(device, 20, 23);
      noted(20, 22);
      expect(await flushed()).toEqual([
        { deviceSubscriptionId: device, fromOffset: 5, offset: 9 },
        { deviceSubscriptionId: device, fromOffset: 20, offset: 23 },
      ]);
      expect(await flushed()).toEqual([]);
    } finally {
      await recorder.close();
    }
  });
});
