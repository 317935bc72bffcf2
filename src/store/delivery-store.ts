import { isTargeted } from '../domain/targeting.js';
import type { Platform } from '../domain/types.js';
import { Prisma } from './generated/sqlite/client.js';
import type { Database } from './prisma-client.js';
import { insertRows } from './prisma-insert.js';
import { DELIVERY_MARK_COLUMNS } from './raw-insert.js';
import { toDeviceSubscription } from './records.js';
import type { DeliveryMarkKind, Store } from './types.js';

/** When each device received and acknowledged what: delivery marks, written in batches. */
export function createDeliveryStore(db: Database): Pick<Store, 'recordDeliveryMarks' | 'deliveryOf'> {
  const { write, reader } = db;
  return {
    recordDeliveryMarks: (marks, kind) =>
      db.direct?.recordDeliveryMarks(marks, kind) ??
      write(async (tx) => {
        // A device may have been deleted since it received: its marks have nowhere to go. Fixed SQL, not
        // the model API, whose createMany Prisma compiles anew for every flush (tens of ms on the loop).
        const ids = [...new Set(marks.map((mark) => mark.deviceSubscriptionId))];
        const live = new Set(
          (
            await tx.$queryRaw<Array<{ id: string }>>`
              SELECT "id" FROM "DeviceSubscription" WHERE "id" IN (${Prisma.join(ids)})`
          ).map((row) => row.id),
        );
        const kept = marks.filter((mark) => live.has(mark.deviceSubscriptionId));
        if (kept.length === 0) return;
        await tx.$executeRaw(
          insertRows(
            'DeliveryMark',
            DELIVERY_MARK_COLUMNS,
            kept.map((mark) => ({ ...mark, kind })),
          ),
        );
        if (kind === 'ACKNOWLEDGED') {
          for (const mark of kept) {
            await tx.deviceSubscription.updateMany({
              where: { id: mark.deviceSubscriptionId, ackedOffset: { lt: mark.offset } },
              data: { ackedOffset: mark.offset },
            });
          }
        }
      }),
    async deliveryOf(notification, now) {
      const live = { feedId: notification.feedId, expirationDateTime: { gt: now } };
      const devices = await reader.deviceSubscription.findMany({
        where: live,
        include: { feed: true },
        orderBy: [{ createdDateTime: 'asc' }, { id: 'asc' }],
      });
      // When each device first had a mark whose stretch covers the notification's position. The devices
      // are named by a join, not by a list of ids: a user may have more devices than a query takes
      // parameters (999 on SQLite).
      const firsts = await reader.deliveryMark.groupBy({
        by: ['deviceSubscriptionId', 'kind'],
        where: {
          deviceSubscription: live,
          fromOffset: { lt: notification.feedPosition },
          offset: { gte: notification.feedPosition },
        },
        _min: { at: true },
      });
      // When a push of it (as it is now: its last creation or replacement, or its fallback since) was
      // first accepted by each device's push service.
      const pushes = await reader.push.groupBy({
        by: ['deviceSubscriptionId'],
        where: {
          deviceSubscription: live,
          feedId: notification.feedId,
          offset: { gte: notification.feedPosition },
          change: { notificationId: notification.id },
          pushedAt: { not: null },
        },
        _min: { pushedAt: true },
      });
      const pushedAt = new Map(pushes.map((row) => [row.deviceSubscriptionId, row._min.pushedAt]));
      const firstAt = new Map(firsts.map((row) => [`${row.kind} ${row.deviceSubscriptionId}`, row._min.at]));
      const first = (id: string, kind: DeliveryMarkKind) => firstAt.get(`${kind} ${id}`) ?? null;
      return devices.map((device) => {
        // A device its target policy leaves out never gets it, whatever position its feed reaches.
        const targeted = isTargeted(notification, device.platform as Platform);
        return {
          deviceSubscription: toDeviceSubscription(device),
          targeted,
          deliveredDateTime: targeted
            ? (first(device.id, 'DELIVERED') ?? first(device.id, 'ACKNOWLEDGED'))
            : null,
          acknowledgedDateTime: targeted ? first(device.id, 'ACKNOWLEDGED') : null,
          pushedDateTime: pushedAt.get(device.id) ?? null,
        };
      });
    },
  };
}
