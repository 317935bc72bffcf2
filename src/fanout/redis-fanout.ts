import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { errorFields } from '../logger.js';
import { createOutageLog } from '../outage-log.js';
import { changesByFeed, type Fanout, type FeedListener, type FeedSignal } from './fanout.js';
import { createMemoryFanout } from './memory-fanout.js';

export interface RedisFanoutOptions {
  readonly url: string;
  /** Prefix of every channel, so several deployments (or tests) can share one Redis. */
  readonly prefix: string;
  readonly logger: Logger;
}

/** What goes over Redis: the signal, its feed, and which process sent it (so it never comes back). */
interface Envelope {
  readonly origin: string;
  readonly feedId: string;
  readonly signal: FeedSignal;
}

// The Date fields of a Change, revived from their JSON strings.
const DATE_FIELDS = new Set([
  'expirationDateTime',
  'createdDateTime',
  'lastModifiedDateTime',
  'snoozedUntil',
]);
const reviveDates = (key: string, value: unknown) =>
  DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value;

interface PendingSubscribe {
  settled: boolean;
  /** A feed stopped waiting for it (SUBSCRIBE_WAIT_MS) and read the store before it took effect. */
  gaveUp: boolean;
  done: Promise<void>;
}

// How long a new feed waits for its channel's SUBSCRIBE before reading the store anyway.
const SUBSCRIBE_WAIT_MS = 1000;
// The most changes one Redis message carries. A larger transaction (a bulk change) is announced as
// ADVANCED, and the other processes' feeds read it from the store page by page: a message of thousands of
// notifications would cost every subscribed process its parsing whether or not its feeds can take them.
const MAX_CARRIED_CHANGES = 20;

/**
 * Fan-out across processes: each process delivers its own changes in memory at once and publishes them
 * on the feed's Redis channel; every other process with live feeds of that user delivers them too.
 * A process subscribes only to the channels of feeds it has live feeds of.
 *
 * Redis is only a wake-up. While it is unreachable, publishes are dropped (the mutation has committed
 * and answered); when the subscriber connection is back, every local feed is told to read the store,
 * so what was missed arrives without waiting for the next change. Origins are tagged, so a process
 * never handles its own message twice. An outage is logged once as it starts (`warn`) and once when
 * both connections are back (`info`, with the count of publishes dropped), not once per failure.
 */
export function createRedisFanout(options: RedisFanoutOptions): Fanout {
  const origin = randomUUID();
  const channelOf = (feedId: string) => `${options.prefix}feed:${feedId}`;
  const local = createMemoryFanout((error) =>
    options.logger.error('fan-out listener failed', errorFields(error)),
  );
  const listening = new Map<string, number>(); // feed id → local listener count
  // Publishes fail fast while Redis is down (no offline queue): a late wake-up is worth nothing.
  const publisher = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  const subscriber = new Redis(options.url, { maxRetriesPerRequest: null });
  let everConnected = false;
  const outage = createOutageLog({
    logger: options.logger,
    dependency: 'redis',
    countedAs: 'publishesDropped',
  });
  const endOutageIfBack = () => {
    if (publisher.status === 'ready' && subscriber.status === 'ready') outage.succeeded();
  };
  // Feeds whose publish was lost while the publisher was down: announced (CATCH_UP) when it is back,
  // so other processes' feeds do not wait for the feed's next change. Bounded; past it, feeds still
  // catch up at their next change or reconnect.
  const unannounced = new Set<string>();
  const MAX_UNANNOUNCED = 10_000;
  let publisherWasReady = false;
  publisher.on('ready', () => {
    if (publisherWasReady && unannounced.size > 0) {
      options.logger.debug('redis publisher reconnected; announcing missed feeds', {
        feeds: unannounced.size,
      });
      for (const feedId of unannounced) publishRemote(feedId, { kind: 'CATCH_UP' });
      unannounced.clear();
    }
    publisherWasReady = true;
    endOutageIfBack();
  });

  for (const [name, connection] of [
    ['publisher', publisher],
    ['subscriber', subscriber],
  ] as const) {
    // Each failed reconnection attempt is an error event: part of the outage, not a line each.
    connection.on('error', (error: Error) =>
      outage.failed(`redis ${name}: ${error.message}`, { affected: 0 }),
    );
  }
  subscriber.on('ready', () => {
    if (everConnected) {
      // Back after an outage: ioredis resubscribes by itself; wake every local feed to catch up.
      options.logger.debug('redis subscriber reconnected');
      for (const feedId of listening.keys()) local.deliver(feedId, { kind: 'CATCH_UP' });
    }
    everConnected = true;
    endOutageIfBack();
  });
  // This process's own publishes come back on every channel it listens to (a feed with a live device
  // here): they are known by their first bytes (publishRemote's envelope starts with its origin) and
  // dropped as bytes, before being decoded and parsed, dates revived key by key, only to be thrown away.
  const ownPrefix = Buffer.from(JSON.stringify({ origin }).slice(0, -1));
  // `message` may be missing, as ioredis's own 'message' event allows for: then it fails to parse, logged.
  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer | undefined) => {
    if (
      message &&
      message.length > ownPrefix.length &&
      ownPrefix.equals(message.subarray(0, ownPrefix.length))
    ) {
      return;
    }
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message ? message.toString() : '', reviveDates) as Envelope;
    } catch (error) {
      options.logger.error('unreadable fan-out message', {
        channel: channel.toString(),
        ...errorFields(error),
      });
      return;
    }
    if (envelope.origin !== origin) local.deliver(envelope.feedId, envelope.signal);
  });

  // Per feed with local listeners: its SUBSCRIBE, settled once Redis has answered it.
  const subscribed = new Map<string, PendingSubscribe>();

  function publishRemote(feedId: string, signal: FeedSignal): void {
    // `origin` first: its JSON then starts with ownPrefix, which is how this process skips its own.
    const envelope: Envelope = { origin, feedId, signal };
    publisher.publish(channelOf(feedId), JSON.stringify(envelope)).catch((error: unknown) => {
      if (unannounced.size < MAX_UNANNOUNCED) unannounced.add(feedId);
      // Remote feeds catch up later (CATCH_UP once the publisher is back).
      outage.failed(error);
    });
  }

  /** Delivers here at once, and to the other processes through the feed's channel. */
  function send(feedId: string, signal: FeedSignal): void {
    local.deliver(feedId, signal);
    publishRemote(feedId, signal);
  }

  return {
    publish(changes) {
      for (const [feedId, group] of changesByFeed(changes)) {
        local.deliver(feedId, { kind: 'CHANGES', changes: group });
        const last = group.at(-1);
        if (group.length <= MAX_CARRIED_CHANGES) publishRemote(feedId, { kind: 'CHANGES', changes: group });
        else if (last) publishRemote(feedId, { kind: 'ADVANCED', offset: last.offset });
      }
    },
    whenListening(feedId) {
      const pending = subscribed.get(feedId);
      if (!pending || pending.settled) return Promise.resolve();
      // Redis unreachable: the SUBSCRIBE waits for it. The feed does not: it reads the store now, and
      // is told to read again (CATCH_UP) once the SUBSCRIBE is through.
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pending.gaveUp = true;
          resolve();
        }, SUBSCRIBE_WAIT_MS);
        void pending.done.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    announceDeviceRemoved: (feedId, deviceSubscriptionId) =>
      send(feedId, { kind: 'DEVICE_REMOVED', deviceSubscriptionId }),
    subscribe(feedId, listener: FeedListener) {
      const unsubscribe = local.subscribe(feedId, listener);
      const count = (listening.get(feedId) ?? 0) + 1;
      listening.set(feedId, count);
      if (count === 1) {
        // Feeds read the store once this SUBSCRIBE has taken effect (whenListening), so a change another
        // process publishes meanwhile is either in what they read or in what they hear.
        const pending: PendingSubscribe = { settled: false, gaveUp: false, done: Promise.resolve() };
        pending.done = subscriber.subscribe(channelOf(feedId)).then(
          () => {
            pending.settled = true;
            // A feed that stopped waiting read the store before this: it reads again now.
            if (pending.gaveUp) local.deliver(feedId, { kind: 'CATCH_UP' });
          },
          (error: unknown) => {
            pending.settled = true;
            options.logger.error('redis subscribe failed', errorFields(error));
          },
        );
        subscribed.set(feedId, pending);
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        unsubscribe();
        const left = (listening.get(feedId) ?? 1) - 1;
        if (left > 0) {
          listening.set(feedId, left);
          return;
        }
        listening.delete(feedId);
        subscribed.delete(feedId);
        subscriber.unsubscribe(channelOf(feedId)).catch(() => {});
      };
    },
    async ping() {
      if (publisher.status !== 'ready' || subscriber.status !== 'ready') {
        throw new Error(`redis not ready (publisher ${publisher.status}, subscriber ${subscriber.status})`);
      }
      await publisher.ping();
    },
    async close() {
      await local.close();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
