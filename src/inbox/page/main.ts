import {
  type ClientStatus,
  createTidingsClient,
  type TidingsClient,
  TidingsClientError,
} from '../../client/index.js';
import {
  checkPush,
  closeStale,
  type PushAccess,
  type PushState,
  registerWorker,
  turnOff,
  turnOn,
} from './desktop-notifications.js';
import { createFeedCache, type FeedCache } from './feed-cache.js';
import { renderNotification } from './render.js';
import {
  describe,
  deviceFor,
  forgetToken,
  type Session,
  savedToken,
  saveToken,
  sessionOf,
} from './session.js';

// The web inbox: a demo of the client library. Sign in with a user token, follow the feed live, change
// state; every tab and device of the user follows the same feed.

const GRAPHQL_URL = new URL('/graphql', location.href).href;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const signIn = byId('sign-in');
const signInForm = byId<HTMLFormElement>('sign-in-form');
const tokenInput = byId<HTMLTextAreaElement>('token');
const signInError = byId('sign-in-error');
const inbox = byId('inbox');
const feed = byId<HTMLUListElement>('feed');
const empty = byId('empty');
const unreadCount = byId('unread-count');
const statusBadge = byId('status');
const who = byId('who');
const notice = byId('notice');
const pushToggle = byId<HTMLButtonElement>('push-toggle');
const pushReason = byId('push-reason');
const TITLE = 'Tidings inbox';

const STATUS_TEXT: Record<ClientStatus['state'], string> = {
  starting: 'Loading…',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  ended: 'Device removed',
  failed: 'Stopped',
  closed: 'Signed out',
};

interface Running {
  readonly session: Session;
  readonly client: TidingsClient;
  readonly cache: FeedCache;
  readonly push: PushAccess;
}
let running: Running | null = null;
// The notification whose desktop notification was clicked last, shown highlighted.
let clickedId: string | null = null;

function render() {
  if (!running) return;
  const notifications = running.cache.list();
  feed.replaceChildren(...notifications.map(renderNotification));
  feed.querySelector(`li[data-id="${CSS.escape(clickedId ?? '')}"]`)?.classList.add('clicked');
  empty.hidden = notifications.length > 0;
  const unread = notifications.filter((notification) => notification.readState === 'UNREAD').length;
  unreadCount.textContent = unread === 0 ? 'All read' : `${unread} unread`;
  // The tab says how many are unread, as mail clients do: seen from the tab strip.
  document.title = unread === 0 ? TITLE : `(${unread}) ${TITLE}`;
}

const PUSH_LABEL: Record<Exclude<PushState['state'], 'unavailable'>, string> = {
  off: 'Enable desktop notifications',
  on: 'Turn off desktop notifications',
  busy: 'Desktop notifications…',
};

function showPush(push: PushState) {
  pushToggle.hidden = false;
  pushToggle.dataset.state = push.state;
  pushToggle.disabled = push.state === 'unavailable' || push.state === 'busy';
  pushToggle.textContent = push.state === 'unavailable' ? PUSH_LABEL.off : PUSH_LABEL[push.state];
  pushReason.textContent = push.state === 'unavailable' ? push.reason : '';
  pushReason.hidden = push.state !== 'unavailable';
}

/** Runs a change of the push state for the running session, showing where it ends. */
function changePush(change: (access: PushAccess) => Promise<PushState>) {
  const current = running;
  if (!current) return;
  const previous = pushToggle.dataset.state;
  showPush({ state: 'busy' });
  change(current.push)
    .then((push) => {
      if (running === current) showPush(push);
    })
    .catch((error: unknown) => {
      if (running !== current) return;
      showPush(previous === 'on' ? { state: 'on' } : { state: 'off' });
      failed(error);
    });
}

function showNotice(message: string) {
  notice.textContent = message;
  notice.hidden = message === '';
}

function showSignIn(message = '') {
  inbox.hidden = true;
  signIn.hidden = false;
  who.replaceChildren();
  statusBadge.hidden = true;
  pushToggle.hidden = true;
  pushReason.hidden = true;
  document.title = TITLE;
  signInError.textContent = message;
  tokenInput.focus();
}

async function stop() {
  const previous = running;
  running = null;
  await previous?.client.close();
}

async function start(session: Session, freshDevice = false) {
  await stop();
  signIn.hidden = true;
  inbox.hidden = false;
  statusBadge.hidden = false;
  who.textContent = session.user;
  showNotice('');
  const unsid = await deviceFor(session, GRAPHQL_URL, freshDevice);
  byId('unsid').textContent = unsid;
  const cache = createFeedCache(`tidings.inbox.feed.${unsid}`);
  const isCurrent = () => running?.cache === cache;
  // The service worker shows pushes; a failure to register it costs the page nothing else.
  const worker = registerWorker().catch((error: unknown) => {
    showNotice(`Desktop notifications cannot work here: ${describe(error)}`);
    return null;
  });
  const client = createTidingsClient({
    url: GRAPHQL_URL,
    deviceSubscriptionId: unsid,
    // A pasted token cannot be refreshed: once it expires the gateway refuses it and the page asks again.
    token: () => session.token,
    cursorStore: cache,
    onUpdate(update) {
      cache.apply(update);
      if (isCurrent()) render();
      // Read, dismissed or deleted here or on another device: its desktop notification goes too.
      void worker.then((registration) => registration && closeStale(registration, update)).catch(() => {});
    },
    onStatus(status) {
      if (!isCurrent()) return;
      statusBadge.textContent = STATUS_TEXT[status.state];
      statusBadge.dataset.state = status.state;
      if (status.state === 'ended' || (status.state === 'failed' && codeOf(status.error) === 'NOT_FOUND')) {
        // This browser's device subscription was deleted or has expired: make a new one, once.
        cache.clear();
        if (!freshDevice) void start(session, true).catch(failed);
      } else if (status.state === 'failed') {
        failed(status.error);
      }
    },
  });
  const push: PushAccess = {
    url: GRAPHQL_URL,
    token: () => session.token,
    deviceSubscriptionId: unsid,
    registration: worker,
  };
  running = { session, client, cache, push };
  render();
  changePush(checkPush);
  clickedInUrl();
}

const codeOf = (error: unknown) => (error instanceof TidingsClientError ? error.code : null);

function failed(error: unknown) {
  if (codeOf(error) === 'UNAUTHENTICATED') {
    forgetToken();
    void stop();
    showSignIn(describe(error));
  } else {
    showNotice(describe(error));
  }
}

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  let session: Session;
  try {
    session = sessionOf(token);
  } catch (error) {
    signInError.textContent = describe(error);
    return;
  }
  saveToken(token);
  tokenInput.value = '';
  start(session).catch(failed);
});

pushToggle.addEventListener('click', () => {
  changePush(pushToggle.dataset.state === 'on' ? turnOff : turnOn);
});

/**
 * A desktop notification was clicked: show it, and mark it read and activated for every device (a click
 * on it is the user opening it, Graph's ACTIVATED).
 */
function clicked(id: string) {
  clickedId = id;
  render();
  feed.querySelector('li.clicked')?.scrollIntoView({ block: 'nearest' });
  running?.client.updateState(id, { readState: 'READ', userActionState: 'ACTIVATED' }).catch(failed);
}

/** The notification clicked when the worker opened this tab for it (`#notification=<id>`), once. */
function clickedInUrl() {
  const id = new URLSearchParams(location.hash.slice(1)).get('notification');
  if (!id) return;
  history.replaceState(null, '', location.pathname + location.search);
  clicked(id);
}

// The service worker's word: a desktop notification was clicked (show which), or the browser replaced
// the push subscription (store the new one).
navigator.serviceWorker?.addEventListener('message', (event: MessageEvent) => {
  const message = event.data as { type?: unknown; notificationId?: unknown } | null;
  if (message?.type === 'tidings:notificationclick' && typeof message.notificationId === 'string') {
    clicked(message.notificationId);
  } else if (message?.type === 'tidings:pushsubscriptionchange') {
    changePush(checkPush);
  }
});

byId('sign-out').addEventListener('click', () => {
  // Pushes for this user stop reaching this browser once they sign out (best effort: offline, the
  // subscription stays until they sign in again and turn it off).
  if (running && pushToggle.dataset.state === 'on') void turnOff(running.push).catch(() => {});
  forgetToken();
  // The notifications' text leaves this browser's storage with the person (the device id stays: it
  // is only an id, and signing in again reuses it).
  const cache = running?.cache;
  void stop().then(() => cache?.clear());
  showSignIn();
});

byId('mark-all-read').addEventListener('click', () => {
  running?.client.markAllRead().catch(failed);
});

// One listener for every item's buttons. The list changes when the change comes back through the feed,
// as it does on every other device: the page shows what the gateway holds, not what it hoped.
feed.addEventListener('click', (event) => {
  const target = event.target;
  if (!(target instanceof HTMLButtonElement) || !running) return;
  const id = target.closest('li')?.dataset.id;
  if (!id) return;
  const { client } = running;
  const actions: Record<string, () => Promise<unknown>> = {
    read: () => client.markRead(id),
    unread: () => client.markUnread(id),
    dismiss: () => client.dismiss(id),
    delete: () => client.deleteNotification(id),
  };
  const action = actions[target.dataset.action ?? ''];
  if (!action) return;
  target.disabled = true;
  action()
    .catch(failed)
    .finally(() => {
      target.disabled = false;
    });
});

// "5 minutes ago" moves on.
setInterval(render, 30_000);

const token = savedToken();
if (token) {
  try {
    start(sessionOf(token)).catch(failed);
  } catch {
    forgetToken();
    showSignIn();
  }
} else {
  showSignIn();
}
