import { buildSchema, type ExecutionArgs, parse } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { createSharedSubscribe } from '../../src/websocket/shared-execution.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway } from '../support/gateway.js';
import { createDevice, feedCursor, notificationInput, postNotification } from '../support/operations.js';
import { initSocket, type SocketMessage, socketMessages } from '../support/raw-socket.js';

/** The frame of operation `id` that carries notification `appNotificationId`. */
const frameOf = (id: string, appNotificationId: string) => (message: SocketMessage['message']) =>
  message.id === id &&
  message.payload?.data?.notificationChanges?.notification?.appNotificationId === appNotificationId;

describe('work once per notification, not once per device', () => {
  it('runs the same number of store queries to deliver to 1 device as to 20', async () => {
    let queries = 0;
    const t = await startGateway({
      // No timer's queries (the sweeper, Web Push's look for due pushes every second) between the counts.
      env: {
        TIDINGS_SWEEP_INTERVAL_MS: '0',
        TIDINGS_DELIVERY_FLUSH_MS: '3600000',
        TIDINGS_WEB_PUSH_INTERVAL_MS: '0',
      },
      onStoreQuery: () => {
        queries++;
      },
    });
    const app = await t.registerApp('once.example.com');
    const appToken = await app.token();

    /** Store queries from posting one notification until `devices` live devices all have it. */
    async function queriesToDeliver(user: string, devices: number): Promise<number> {
      const token = await t.userToken(user, app.app);
      const unsids: string[] = [];
      for (let i = 0; i < devices; i++) unsids.push(await createDevice(t.url, token, 'WEB'));
      const cursor = await feedCursor(t.url, token);
      const feeds = unsids.map((unsid) =>
        openFeed(t.wsUrl, token, { deviceSubscriptionId: unsid, after: cursor }),
      );
      // Every feed is live once it has received a first notification.
      await postNotification(
        t.url,
        appToken,
        notificationInput(unsids[0] as string, 'once.example.com', { appNotificationId: 'warm-up' }),
      );
      await Promise.all(feeds.map((feed) => feed.next()));
      const before = queries;
      await postNotification(
        t.url,
        appToken,
        notificationInput(unsids[0] as string, 'once.example.com', { appNotificationId: 'measured' }),
      );
      const received = await Promise.all(feeds.map((feed) => feed.next()));
      expect(received.every((change) => change.notification?.appNotificationId === 'measured')).toBe(true);
      return queries - before;
    }

    const one = await queriesToDeliver('one-device', 1);
    const twenty = await queriesToDeliver('twenty-devices', 20);
    expect(one).toBeGreaterThan(0); // the mutation's own transaction
    expect(twenty).toBe(one);
  });

  it('executes one event once per selection, however many subscribers share it', async () => {
    let resolved = 0;
    const schema = buildSchema(`
      type Query { ok: Boolean }
      type Event { title: String, detail: String }
      type Subscription { events(feed: ID!, after: String): Event }
    `);
    const subscription = schema.getSubscriptionType()?.getFields().events;
    const event = { title: 'one event' };
    if (!subscription) throw new Error('no subscription field');
    subscription.subscribe = async function* () {
      yield event;
    };
    subscription.resolve = (payload: typeof event) => {
      resolved++;
      return payload;
    };
    const subscribe = createSharedSubscribe((payload) => payload as object);
    const document = parse(
      'subscription ($feed: ID!, $after: String, $more: Boolean!) { events(feed: $feed, after: $after) { title detail @include(if: $more) } }',
    );
    const results = async (variableValues: Record<string, unknown>) => {
      const stream = (await subscribe({
        schema,
        document,
        variableValues,
      } as ExecutionArgs)) as AsyncIterableIterator<unknown>;
      const first = await stream.next();
      await stream.return?.();
      return first.value;
    };
    // Five devices: different feed ids and cursors (root arguments), same selection.
    const same = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => results({ feed: `device-${i}`, after: `cursor-${i}`, more: false })),
    );
    expect(resolved).toBe(1);
    expect(new Set(same).size).toBe(1);
    expect(same[0]).toEqual({ data: { events: { title: 'one event' } } });
    // Another value of a variable used in the selection is another selection: executed on its own.
    const other = await results({ feed: 'device-6', after: null, more: true });
    expect(resolved).toBe(2);
    expect(other).toEqual({ data: { events: { title: 'one event', detail: null } } });
  });

  it('serialises a shared result once and hands every socket the same text', async () => {
    const schema = buildSchema(`
      type Query { ok: Boolean }
      type Subscription { events(feed: ID!): String }
    `);
    const subscription = schema.getSubscriptionType()?.getFields().events;
    if (!subscription) throw new Error('no subscription field');
    const event = { text: 'shared "quoted" text' };
    subscription.subscribe = async function* () {
      yield event;
    };
    subscription.resolve = (payload: typeof event) => payload.text;
    const subscribe = createSharedSubscribe((payload) => payload as object);
    const document = parse('subscription ($feed: ID!) { events(feed: $feed) }');
    const stringify = vi.spyOn(JSON, 'stringify');
    const sent: string[] = [];
    await Promise.all(
      [1, 2, 3, 4].map(async (i) => {
        const contextValue = {
          connection: {
            close() {},
            isLive: () => true,
            sendNext: async (json: string) => {
              sent.push(json);
              return true;
            },
          },
        };
        const stream = (await subscribe({
          schema,
          document,
          variableValues: { feed: `device-${i}` },
          contextValue,
        } as ExecutionArgs)) as AsyncIterableIterator<unknown>;
        // Sent directly, so graphql-ws is handed nothing: the stream ends with the source.
        expect(await stream.next()).toEqual({ done: true, value: undefined });
      }),
    );
    const resultSerialisations = stringify.mock.calls.filter(
      ([value]) => (value as { data?: unknown } | undefined)?.data !== undefined,
    ).length;
    stringify.mockRestore();
    expect(sent).toEqual(Array(4).fill('{"data":{"events":"shared \\"quoted\\" text"}}'));
    expect(resultSerialisations).toBe(1);
  });

  it('writes the message graphql-ws would write, with each socket its own operation id', async () => {
    const t = await startGateway();
    const app = await t.registerApp('frames.example.com');
    const appToken = await app.token();
    const token = await t.userToken('framed', app.app);
    const unsid = await createDevice(t.url, token, 'WEB');
    const cursor = await feedCursor(t.url, token);
    const subscribe = (socket: WebSocket, id: string, after: string) =>
      socket.send(
        JSON.stringify({
          id,
          type: 'subscribe',
          payload: {
            query:
              'subscription ($id: ID!, $after: String) { notificationChanges(deviceSubscriptionId: $id, after: $after) { kind cursor notification { appNotificationId } } }',
            variables: { id: unsid, after },
          },
        }),
      );
    const [first, second] = await Promise.all(
      ['first-op', 'second-op'].map(async (id) => {
        const { socket } = await initSocket(t.wsUrl, token);
        const messages = socketMessages(socket);
        subscribe(socket, id, cursor);
        return { id, socket, messages };
      }),
    );
    if (!first || !second) throw new Error('two sockets were opened');
    const post = (appNotificationId: string) =>
      postNotification(
        t.url,
        appToken,
        notificationInput(unsid, 'frames.example.com', { appNotificationId }),
      );

    // Both operations resume after `cursor`, so however late each starts, it gets this post.
    await post('f-0');
    for (const { id, messages } of [first, second]) {
      const { text, message } = await messages.waitFor(frameOf(id, 'f-0'));
      expect(message.type).toBe('next');
      expect(message.payload.data.notificationChanges.kind).toBe('CREATED');
      // Byte for byte what graphql-ws's own stringifyMessage makes of it.
      expect(text).toBe(JSON.stringify({ id, type: 'next', payload: message.payload }));
    }

    // A completed operation gets nothing more. The pong says the gateway has handled the completion.
    first.socket.send(JSON.stringify({ id: first.id, type: 'complete' }));
    await first.messages.roundTrip();
    // A marker beside it on the same socket: another operation of the same selection, resuming after f-0.
    const f0 = (await first.messages.waitFor(frameOf(first.id, 'f-0'))).message;
    subscribe(first.socket, 'marker-op', f0.payload.data.notificationChanges.cursor);
    await post('after');
    await second.messages.waitFor(frameOf(second.id, 'after'));
    await first.messages.waitFor(frameOf('marker-op', 'after'));
    // The same event reached the marker: had it been sent to the completed operation too, that frame
    // was written before the gateway handled this ping, and has arrived by its pong.
    await first.messages.roundTrip();
    const firstOperation = first.messages.received.filter(({ message }) => message.id === first.id);
    expect(
      firstOperation.map(({ message }) => message.payload.data.notificationChanges.notification),
    ).toEqual([{ appNotificationId: 'f-0' }]);
  });

  it('sends every socket its own operation id, as text, whether its id is shared or its own', async () => {
    const t = await startGateway();
    const app = await t.registerApp('shared-frames.example.com');
    const appToken = await app.token();
    const token = await t.userToken('shared-framed', app.app);
    const unsid = await createDevice(t.url, token, 'WEB');
    const cursor = await feedCursor(t.url, token);
    // Three clients that use one id (one message for all three), and more ids of their own than the
    // gateway keeps a message for per payload (each made for its socket alone past that).
    const ids = ['same-op', 'same-op', 'same-op', ...Array.from({ length: 12 }, (_, i) => `own-op-${i}`)];
    const sockets = await Promise.all(
      ids.map(async (id) => {
        const { socket } = await initSocket(t.wsUrl, token);
        const binary: boolean[] = [];
        socket.on('message', (_data, isBinary) => binary.push(isBinary));
        const messages = socketMessages(socket);
        socket.send(
          JSON.stringify({
            id,
            type: 'subscribe',
            payload: {
              query:
                'subscription ($id: ID!, $after: String) { notificationChanges(deviceSubscriptionId: $id, after: $after) { kind notification { appNotificationId } } }',
              variables: { id: unsid, after: cursor },
            },
          }),
        );
        return { id, messages, binary };
      }),
    );
    const post = (appNotificationId: string) =>
      postNotification(
        t.url,
        appToken,
        notificationInput(unsid, 'shared-frames.example.com', { appNotificationId }),
      );
    // Once every socket has had this one, their feeds wait for live changes: the next go out shared.
    await post('warm-up');
    for (const { id, messages } of sockets) await messages.waitFor(frameOf(id, 'warm-up'));
    await post('s-0');
    await post('s-1');
    for (const { id, messages, binary } of sockets) {
      for (const appNotificationId of ['s-0', 's-1']) {
        const { text, message } = await messages.waitFor(
          (m) =>
            m.id === id &&
            m.payload?.data?.notificationChanges?.notification?.appNotificationId === appNotificationId,
        );
        expect(text).toBe(JSON.stringify({ id, type: 'next', payload: message.payload }));
      }
      expect(binary).not.toContain(true);
    }
  });
});
