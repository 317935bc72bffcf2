import type { NotificationContent } from '../../../src/domain/types.js';
import { notificationContent } from '../../support/notification-content.js';

// What every system delivers, so that all of them send frames of the same shape and about the same size.

/** The one subscription document every GraphQL system is sent (the raw ws server ignores it). */
export const NOTIFICATION_CHANGES = `subscription Changes($deviceSubscriptionId: ID!, $after: String) {
  notificationChanges(deviceSubscriptionId: $deviceSubscriptionId, after: $after) {
    kind
    cursor
    notification {
      id
      appNotificationId
      priority
      readState
      status
      createdDateTime
      payload { visualContent { title body } }
    }
  }
}`;

/** Title and body: about 200 bytes of payload, as in the design's measurements. */
export const NOTIFICATION_TITLE = 'Your order 1042 has shipped';
export const NOTIFICATION_BODY =
  'Good news: the parcel left our warehouse this morning and should arrive within two working days. ' +
  'Track it from the orders page; we will let you know when it is out for delivery.';

/** A visual notification for the stores' own benches (no HTTP): the store tests' content, this body. */
export const storeContent = (targetHostName: string, appNotificationId: string): NotificationContent =>
  notificationContent(targetHostName, appNotificationId, NOTIFICATION_TITLE, NOTIFICATION_BODY);
