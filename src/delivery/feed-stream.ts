import { reachesPlatform } from '../domain/targeting.js';
import type { Change, FeedHead, FeedPosition, Platform } from '../domain/types.js';
import type { Fanout, FeedSignal } from '../fanout/fanout.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { Store } from '../store/types.js';
import { createAsyncQueue } from './async-queue.js';

/** What a device's live feed yields: a change of its feed, or the order to reload. */
export type FeedEvent =
  | { readonly type: 'change'; readonly change: Change }
  | { readonly type: 'resync'; readonly position: FeedPosition };

export interface FeedStreamOptions {
  readonly store: Pick<Store, 'feedHead' | 'readChanges'>;
  readonly fanout: Pick<Fanout, 'subscribe' | 'whenListening'>;
  readonly feedId: string;
  /** The device whose feed this is: it ends when that device subscription is deleted. */
  readonly deviceSubscriptionId: string;
  /** The device's platform: changes of notifications not targeted at it are skipped. */
  readonly platform: Platform;
  /** Resume after this position; null starts at the feed's head (live changes only). */
  readonly after: FeedPosition | null;
  /**
   * The feed's head as read just before (with the device subscription), to save reading it again. It
   * may be behind: that costs nothing, because the replay reads up to the end of the log anyway.
   */
  readonly head?: FeedHead;
  /**
   * Told, after each change sent, that this device has been sent every change in (from, to]: the
   * stretch this feed has covered without a break (delivery tracking, kept in memory).
   */
  readonly onDelivered?: (from: number, to: number) => void;
  /**
   * Live changes held for this device at most (more are read from the store when it gets to them), and
   * wake-ups waiting for it past which the feed gives up on this device.
   */
  readonly maxPending: number;
  /** Called once when the bound is passed; the stream has stopped listening by then. */
  readonly onOverflow: () => void;
  /** Told of frames sent and store reads (counting only: /metrics). */
  readonly metrics?: FeedMetrics;
}

/** Told once the socket took a frame sent directly, or failed to (with the error). */
export type WrittenCallback = (error?: Error | null) => void;

/**
 * A consumer that sends a feed's events itself (the WebSocket transport, with a frame made once for
 * every device of the feed): given an event, it either sends it, returns true and calls `written` once
 * the socket took the frame (the calls in the order of the sends), or returns false and sends nothing
 * (the event then goes through the iterator as usual). It must not throw. `written` is the same function
 * for every send of a feed: a frame costs no promise or closure of its own.
 */
export type DirectSink = (event: Extract<FeedEvent, { type: 'change' }>, written: WrittenCallback) => boolean;

/** What {@link openFeedStream} returns: the feed as an iterator, and its fast path for live changes. */
export interface FeedStream extends AsyncIterableIterator<FeedEvent, void> {
  /**
   * Lets the feed hand a live change straight to `sink` when nothing else is pending for this device
   * (caught up, nothing queued, no replay or repair under way, the previous direct send done): then a
   * change costs no queue, promise or generator step of its own. Anything else (a gap, a bulk change,
   * a resync, a slow socket) goes through the iterator, with every guarantee it gives.
   */
  deliverDirectly(sink: DirectSink): void;
  /** Ends the feed at once, even while it waits for the next change. */
  return(value?: undefined): Promise<IteratorResult<FeedEvent, void>>;
}

/** A wake-up as a feed queues it: every fan-out signal but DEVICE_REMOVED, which it handles at once. */
type Wakeup = Exclude<FeedSignal, { kind: 'DEVICE_REMOVED' }>;

// Replay and gap repair read the log in pages of this size, so a long absence does not load at once.
const PAGE_SIZE = 200;
const TO_THE_END = Number.MAX_SAFE_INTEGER;
// Live changes sent directly (deliverDirectly) to one device and not yet taken by its socket, at most.
const DIRECT_IN_FLIGHT = 64;
// What the metrics are told of a change sent directly (they count it by its type only).
const DIRECT_CHANGE = { type: 'change' } as const;

/**
 * A device's feed: the changes after `after` from the store, then live changes from the fan-out,
 * with no gap and no duplicate. It listens before it reads, so a change committed during the replay is
 * either in what it reads or in what it hears; offsets tell which, and any offset it did not hear
 * (a lost wake-up) is read from the store before anything after it is delivered.
 *
 * `return()` ends it at once, even while it waits for the next change.
 */
export function openFeedStream(options: FeedStreamOptions): FeedStream {
  const { store, fanout, feedId, platform } = options;
  // Wake-ups not yet handled: live changes (one entry per transaction), or "read the store".
  const live = createAsyncQueue<Wakeup>();
  // Changes held in `live`: at most maxPending. A transaction that does not fit is queued as "read the
  // store up to its offset" instead (it costs no memory, and the feed reads it page by page as fast as the
  // socket takes it), so one bulk change never makes a healthy device look slow.
  let held = 0;
  // A function declaration, hoisted: the listener below may need it before the stream exists.
  let stopped = false;
  function stop() {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    live.close();
  }
  const unsubscribe = fanout.subscribe(feedId, (signal) => {
    if (signal.kind === 'DEVICE_REMOVED') {
      // The device subscription was deleted: its feed ends (graphql-ws completes the subscription).
      if (signal.deviceSubscriptionId === options.deviceSubscriptionId) stop();
      return;
    }
    if (signal.kind === 'CHANGES' && sentDirectly(signal)) return;
    // From here until the feed waits again with nothing queued, live changes take the iterator's path.
    parked = false;
    live.push(signal.kind === 'CHANGES' ? holdOrDefer(signal) : signal);
    // A device that lets more wake-ups pile up than that is not reading its socket: it resumes later.
    if (live.size > options.maxPending) {
      stop();
      options.onOverflow();
    }
  });
  function holdOrDefer(signal: Extract<Wakeup, { kind: 'CHANGES' }>): Wakeup {
    const last = signal.changes.at(-1);
    if (!last || held + signal.changes.length <= options.maxPending) {
      held += signal.changes.length;
      return signal; // the same object for every device of the feed
    }
    return { kind: 'ADVANCED', offset: last.offset };
  }
  const visible = (change: Change) => reachesPlatform(change, platform);
  // Where the unbroken stretch of changes this feed has sent begins (moves on a resync).
  let coveredFrom = 0;
  // The last offset this device was sent or skipped (its position in the feed), and the newest offset
  // known to exist: the head at the start, then every live change heard.
  let position = 0;
  let known = 0;

  // The fast path (deliverDirectly). `parked`: the feed waits for a wake-up with nothing queued, so it
  // is caught up to `position` and the consumer has taken everything before. Direct sends not completed
  // yet are held in order in `inFlight` (each as its stretch start and change: the socket completes its
  // writes in order, so one callback for all of them takes the oldest); past DIRECT_IN_FLIGHT (a socket
  // that does not drain) changes take the iterator's path, whose queue bound (maxPending) ends the feed
  // of a device that stopped reading.
  let sink: DirectSink | undefined;
  let parked = false;
  const inFlight: Array<number | Change> = [];
  let inFlightHead = 0;
  const inFlightCount = () => (inFlight.length - inFlightHead) / 2;
  const directInFlight = Math.min(DIRECT_IN_FLIGHT, options.maxPending);
  const written: WrittenCallback = (error) => {
    const from = inFlight[inFlightHead] as number;
    const change = inFlight[inFlightHead + 1] as Change;
    inFlightHead += 2;
    if (inFlightHead === inFlight.length) {
      inFlight.length = 0;
      inFlightHead = 0;
    }
    // A failed write: the socket is closing, and its close ends this feed.
    if (error || stopped) return;
    options.metrics?.liveChangeSent(change);
    options.metrics?.sent(DIRECT_CHANGE);
    options.onDelivered?.(from, change.offset);
  };
  /** Sends a transaction that follows `position` straight to the sink; false if it sent none of it. */
  function sentDirectly(signal: Extract<Wakeup, { kind: 'CHANGES' }>): boolean {
    const { changes } = signal;
    const first = changes[0];
    // Parked means nothing is queued: whatever queues a wake-up unparks the feed first.
    if (!sink || !parked || stopped || first === undefined) return false;
    // A gap to repair, or changes already read, or too many to send at once: the iterator's path.
    if (first.offset !== position + 1 || inFlightCount() + changes.length > directInFlight) return false;
    for (let index = 0; index < changes.length; index++) {
      const change = changes[index] as Change;
      if (visible(change)) {
        let sent: boolean;
        try {
          sent = sink({ type: 'change', change }, written);
        } catch {
          sent = false; // not expected (a sink does not throw); the iterator's path reports what goes wrong
        }
        if (!sent) {
          // The rest of the transaction goes through the iterator, after what was sent here.
          if (index === 0) return false;
          parked = false;
          live.push(holdOrDefer({ kind: 'CHANGES', changes: changes.slice(index) }));
          return true;
        }
        inFlight.push(coveredFrom, change);
      }
      position = change.offset;
      known = Math.max(known, change.offset);
    }
    return true;
  }

  async function* run(): AsyncGenerator<FeedEvent, void> {
    await fanout.whenListening(feedId);
    const head = options.head ?? (await store.feedHead(feedId));
    position = head.offset;
    const after = options.after;
    if (after !== null) {
      if (after.epoch === head.epoch && after.offset <= head.offset && after.offset >= head.purgedThrough) {
        position = after.offset;
      } else {
        yield { type: 'resync', position: head };
      }
    }
    coveredFrom = position;
    known = head.offset;
    /**
     * Everything in the store after `position`, up to `until` (inclusive). Offsets are dense, so a page
     * that does not start right after `position` means the log was purged under the read (the sweeper
     * runs concurrently): the device cannot be caught up change by change any more, so it resyncs.
     * Read to the end (`TO_THE_END`), a page shorter than asked for reached the end of the log: anything
     * committed after that read is heard live (the feed listened before it read), so the replay of a
     * reconnecting device costs one read, not one more to find the log empty.
     */
    async function* readFromStore(until: number): AsyncGenerator<FeedEvent, void> {
      while (position < until) {
        const limit = Math.min(PAGE_SIZE, until - position);
        const page = await store.readChanges(feedId, position, limit);
        options.metrics?.readFromStore(page.length);
        const first = page[0];
        // A page that skips offsets, or none where changes are known to exist: purged under the read.
        if (first ? first.offset !== position + 1 : position < Math.min(until, known)) {
          const now = await store.feedHead(feedId);
          position = now.offset;
          coveredFrom = position;
          yield { type: 'resync', position: now };
          return;
        }
        for (const change of page) {
          position = change.offset;
          if (visible(change)) yield { type: 'change', change };
        }
        if (page.length === 0 || (page.length < limit && until === TO_THE_END)) return;
      }
    }
    yield* readFromStore(TO_THE_END);
    for (;;) {
      parked = live.size === 0;
      const wakeup = await live.pull();
      parked = false;
      if (wakeup === undefined) return;
      if (wakeup.kind === 'CATCH_UP') {
        yield* readFromStore(TO_THE_END);
        continue;
      }
      if (wakeup.kind === 'ADVANCED') {
        known = Math.max(known, wakeup.offset);
        if (wakeup.offset > position) yield* readFromStore(wakeup.offset);
        continue;
      }
      for (const change of wakeup.changes) {
        held--;
        known = Math.max(known, change.offset);
        if (change.offset <= position) continue; // already replayed
        if (change.offset > position + 1) yield* readFromStore(change.offset - 1);
        if (change.offset <= position) continue; // a resync during the repair moved past it
        position = change.offset;
        if (!visible(change)) continue;
        yield { type: 'change', change };
        // Resumed once graphql-ws has written the frame and asks for the next event.
        options.metrics?.liveChangeSent(change);
      }
    }
  }

  const stream = (async function* () {
    try {
      for await (const event of run()) {
        yield event;
        options.metrics?.sent(event);
        if (event.type === 'change') options.onDelivered?.(coveredFrom, event.change.offset);
      }
    } finally {
      stop();
    }
  })();
  // Close the queue before asking the generator to return: a generator waiting in `live.pull()` only
  // sees the request once that wait ends.
  return {
    deliverDirectly(consumer) {
      sink = consumer;
    },
    next: () => stream.next(),
    return: (value) => {
      stop();
      return stream.return(value);
    },
    throw: (error) => {
      stop();
      return stream.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
