import { type Notification, visualContentFor } from '../../client/index.js';
import { INBOX_PLATFORM } from './session.js';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const STEPS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
];

/** "5 minutes ago", "now". */
function ago(iso: string): string {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  for (const [unit, size] of STEPS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(0, 'second');
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string) {
  const node = document.createElement(tag);
  node.className = className;
  // textContent only: a notification's text is the app's, never markup.
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(action: string, label: string) {
  const node = element('button', `action action-${action}`, label);
  node.type = 'button';
  node.dataset.action = action;
  return node;
}

/** One notification as a list item; its buttons carry `data-action`, the item `data-id`. */
export function renderNotification(notification: Notification): HTMLLIElement {
  const unread = notification.readState === 'UNREAD';
  const dismissed = notification.userActionState === 'DISMISSED';
  const item = element('li', 'item');
  item.dataset.id = notification.id;
  item.dataset.readState = notification.readState;
  item.dataset.userActionState = notification.userActionState;

  const content = element('div', 'content');
  const meta = element('div', 'meta');
  meta.append(element('span', 'app', notification.targetHostName));
  if (notification.groupName) meta.append(element('span', 'badge', notification.groupName));
  if (notification.priority === 'HIGH') meta.append(element('span', 'badge badge-high', 'High'));
  if (dismissed) meta.append(element('span', 'badge', 'Dismissed'));
  const time = element('time', 'time', ago(notification.createdDateTime));
  time.dateTime = notification.createdDateTime;
  time.title = new Date(notification.createdDateTime).toLocaleString();
  meta.append(time);

  // A notification that fell back to this device shows its fallback's content.
  const visual = visualContentFor(notification, INBOX_PLATFORM);
  content.append(meta, element('h2', 'title', visual?.title ?? 'Raw notification'));
  if (visual?.body) content.append(element('p', 'body', visual.body));
  else if (!visual && notification.payload.rawContent) {
    content.append(element('pre', 'raw', notification.payload.rawContent));
  }

  const actions = element('div', 'actions');
  actions.append(unread ? button('read', 'Mark read') : button('unread', 'Mark unread'));
  if (!dismissed) actions.append(button('dismiss', 'Dismiss'));
  actions.append(button('delete', 'Delete'));

  item.append(element('span', unread ? 'dot dot-unread' : 'dot'), content, actions);
  return item;
}
