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
