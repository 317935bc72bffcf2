import { type FeedUpdate, type Notification, type Platform, visualContentFor } from '../client/index.js';

/**
 * The lines `tidings watch` prints for one update of the client library. With `json`, the update itself
 * on one line (JSON Lines). As text, one line per change: its kind, the app's key for the notification
 * (appNotificationId), what the device shows (title: body, or the raw content), the state where it
 * changed, and the cursor; a snapshot lists the feed's notifications, oldest first, as LISTED lines.
 */
export function updateLines(update: FeedUpdate, platform: Platform, json: boolean): string[] {
  if (json) return [JSON.stringify(update)];
  switch (update.type) {
    case 'snapshot':
      return [...update.notifications]
        .reverse()
        .map((notification) => `LISTED  ${describe(notification, platform)}  ${state(notification)}`);
    case 'change': {
      const { kind, notification, cursor } = update;
      const changed = kind === 'STATE_CHANGED' ? `  ${state(notification)}` : '';
      return [`${kind}  ${describe(notification, platform)}${changed}  cursor=${cursor}`];
    }
    case 'removed':
      return [`${update.kind}  not for this device: removed ${update.id}  cursor=${update.cursor}`];
  }
}

/** The app's key and the content, on one line whatever the content holds. */
function describe(notification: Notification, platform: Platform): string {
  const visual = visualContentFor(notification, platform);
  const text = visual
    ? `${oneLine(visual.title)}${visual.body ? `: ${oneLine(visual.body)}` : ''}`
    : `raw ${JSON.stringify(notification.payload.rawContent ?? '')}`;
  return `${oneLine(notification.appNotificationId)}  ${text}`;
}

function state(notification: Notification): string {
  const action =
    notification.userActionState === 'SNOOZED' && notification.snoozedUntil
      ? `SNOOZED until ${notification.snoozedUntil}`
      : notification.userActionState;
  return `[${notification.readState}, ${action}]`;
}

// Control characters (a newline in a title) would break the one line per change that scripts read.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;
const oneLine = (text: string): string => text.replace(CONTROL, ' ');
