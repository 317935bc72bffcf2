import { reachesPlatform } from '../domain/targeting.js';
import type { Change, FeedHead, FeedPosition, Platform } from '../domain/types.js';
import type { Fanout, FeedSignal } from '../fanout/fanout.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { Store } from '../store/types.js';

/** What a device's live feed yields: a change of its feed, or the order to reload. */
export type FeedEvent =
  | { readonly type: 'change'; readonly change: Change }
  | { readonly type: 'resync'; readonly position: FeedPosition };

export interface FeedStreamOptions {
  readonly store: Pick<Store, 'deviceFeedHead' | 'readChanges'>;
  readonly fanout: Pick<Fanout, 'subscribe' | 'whenListening'>;
  readonly feedId: string;
  /**
   * The device whose feed this is: it ends when that device subscription is deleted, also when the
   * deletion was committed before the feed listened (its announcement then reached no one): what the feed
   * reads once it listens tells it.
   */
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
  /**
   * Has every event the iterator would yield go through `map` first, and makes the iterator yield what it
   * returns instead: undefined leaves the event out (the consumer sent it itself: it counts as taken once
   * `map` has resolved), {@link END_FEED} ends the feed at that event (not counted as taken). The
   * consumer's own mapping iterator on top of this one would be one more suspended step per idle feed.
   * Called before the first `next()`; returns this feed, as the iterator of what `map` returns.
   */
  filterMap<U>(map: (event: FeedEvent) => Promise<U | undefined | typeof END_FEED>): AsyncIterableIterator<U>;
  /** Ends the feed at once, even while it waits for the next change. */
  return(value?: undefined): Promise<IteratorResult<FeedEvent, void>>;
}

/** What a {@link FeedStream.filterMap} mapper returns to end the feed at an event. */
export const END_FEED: unique symbol = Symbol('end of feed');

/** What a feed keeps of its options for its whole life (the optional ones present, maybe undefined). */
type KeptOptions = {
  readonly [K in Exclude<keyof FeedStreamOptions, 'after' | 'head'>]: FeedStreamOptions[K];
};

/** A wake-up as a feed queues it: every fan-out signal but DEVICE_REMOVED, which it handles at once. */
type Wakeup = Exclude<FeedSignal, { kind: 'DEVICE_REMOVED' }>;

// Replay and gap repair read the log in pages of this size, so a long absence does not load at once.
const PAGE_SIZE = 200;
const TO_THE_END = Number.MAX_SAFE_INTEGER;
// Live changes sent directly (deliverDirectly) to one device and not yet taken by its socket, at most.
const DIRECT_IN_FLIGHT = 64;
// What the metrics are told of a change sent directly (they count it by its type only).
const DIRECT_CHANGE = { type: 'change' } as const;
const DONE: IteratorResult<never, void> = Object.freeze({ done: true, value: undefined });

type Mapper = (event: FeedEvent) => Promise<unknown>;

/**
 * A device's feed: the changes after `after` from the store, then live changes from the fan-out,
 * with no gap and no duplicate. It listens before it reads, so a change committed during the replay is
 * either in what it reads or in what it hears; offsets tell which, and any offset it did not hear
 * (a lost wake-up) is read from the store before anything after it is delivered.
 *
 * `return()` ends it at once, even while it waits for the next change.
 */
export function openFeedStream(options: FeedStreamOptions): FeedStream {
  return new LiveFeedStream(options);
}

/**
 * The feed of {@link openFeedStream}. An idle device holds one of these for as long as it is connected, so
 * an idle feed holds no suspended function: the consumer's pending `next()` is one promise whose settling
 * functions the feed keeps (`resolveNext`), and nothing else waits. The work between (start, replay, gap
 * repair, live changes that did not go directly) is a generator made for each busy stretch (`work`), driven
 * by `drive` while a consumer waits and dropped once it has nothing left to do. (A generator suspended for
 * the socket's life, under a mapping iterator's suspended `next`, with a queue's waiter, cost ≈ 1 KiB per
 * idle feed in frames, promises and closures.)
 */
class LiveFeedStream implements FeedStream {
  // Wake-ups not yet handled: live changes (one entry per transaction), or "read the store".
  private readonly wakeups: Wakeup[] = [];
  // Changes held in `wakeups`: at most maxPending. A transaction that does not fit is queued as "read the
  // store up to its offset" instead (it costs no memory, and the feed reads it page by page as fast as the
  // socket takes it), so one bulk change never makes a healthy device look slow.
  private held = 0;
  private stopped = false;
  private started = false;
  // Where the unbroken stretch of changes this feed has sent begins (moves on a resync).
  private coveredFrom = 0;
  // The last offset this device was sent or skipped (its position in the feed), and the newest offset
  // known to exist: the head at the start, then every live change heard.
  private position = 0;
  private known = 0;

  // The fast path (deliverDirectly). `parked`: the feed waits for a wake-up with nothing queued, so it
  // is caught up to `position` and the consumer has taken everything before. Direct sends not completed
  // yet are held in order in `inFlight` (each as its stretch start and change: the socket completes its
  // writes in order, so one callback for all of them takes the oldest); past DIRECT_IN_FLIGHT (a socket
  // that does not drain) changes take the iterator's path, whose queue bound (maxPending) ends the feed
  // of a device that stopped reading.
  private sink: DirectSink | undefined = undefined;
  private parked = false;
  private readonly inFlight: Array<number | Change> = [];
  private inFlightHead = 0;
  private readonly directInFlight: number;
  // The consumer's pending next(), if any, and the busy stretch's generator while there is one.
  private resolveNext: ((step: IteratorResult<unknown, void>) => void) | undefined = undefined;
  private rejectNext: ((error: unknown) => void) | undefined = undefined;
  private worker: AsyncGenerator<FeedEvent, void> | undefined = undefined;
  private driving = false;
  private map: Mapper | undefined = undefined;
  private readonly unsubscribe: () => void;
  // Where to start (`after`, and the head read with the device), needed only until the feed has started:
  // let go of then, since an idle feed is kept for as long as its socket is open.
  private start: Pick<FeedStreamOptions, 'after' | 'head'> | undefined;
  private readonly options: KeptOptions;

  constructor(options: FeedStreamOptions) {
    const { after, head } = options;
    // Named one by one, not `...rest`: an object made by a rest pattern keeps its properties out of line
    // (a property array of its own, ≈ 60 bytes per idle feed).
    this.options = {
      store: options.store,
      fanout: options.fanout,
      feedId: options.feedId,
      deviceSubscriptionId: options.deviceSubscriptionId,
      platform: options.platform,
      onDelivered: options.onDelivered,
      maxPending: options.maxPending,
      onOverflow: options.onOverflow,
      metrics: options.metrics,
    };
    this.start = head === undefined ? { after } : { after, head };
    this.directInFlight = Math.min(DIRECT_IN_FLIGHT, options.maxPending);
    // Last: the listener may stop the feed at once.
    this.unsubscribe = options.fanout.subscribe(options.feedId, this.heard);
  }

  /** The fan-out's listener (one function per feed: the fan-out holds it). */
  private readonly heard = (signal: FeedSignal) => {
    if (signal.kind === 'DEVICE_REMOVED') {
      // The device subscription was deleted: its feed ends (graphql-ws completes the subscription).
      if (signal.deviceSubscriptionId === this.options.deviceSubscriptionId) this.stop();
      return;
    }
    if (signal.kind === 'CHANGES' && this.sentDirectly(signal)) return;
    // From here until the feed waits again with nothing queued, live changes take the iterator's path.
    this.parked = false;
    this.wakeups.push(signal.kind === 'CHANGES' ? this.holdOrDefer(signal) : signal);
    // A device that lets more wake-ups pile up than that is not reading its socket: it resumes later.
    if (this.wakeups.length > this.options.maxPending) {
      this.stop();
      this.options.onOverflow();
      return;
    }
    this.pump();
  };

  /** Told once the socket took a direct send (the same function for every send of this feed). */
  private readonly written: WrittenCallback = (error) => {
    const { inFlight } = this;
    const from = inFlight[this.inFlightHead] as number;
    const change = inFlight[this.inFlightHead + 1] as Change;
    this.inFlightHead += 2;
    if (this.inFlightHead === inFlight.length) {
      inFlight.length = 0;
      this.inFlightHead = 0;
    }
    // A failed write: the socket is closing, and its close ends this feed.
    if (error || this.stopped) return;
    this.options.metrics?.liveChangeSent(change);
    this.options.metrics?.sent(DIRECT_CHANGE);
    this.options.onDelivered?.(from, change.offset);
  };

  private stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    this.wakeups.length = 0;
    // A consumer waiting while nothing runs is answered now; one that `drive` serves, by `drive`.
    if (!this.driving) {
      this.worker = undefined;
      this.settle(DONE);
    }
  }

  /** Answers the consumer's pending next(), if any. */
  private settle(step: IteratorResult<unknown, void>) {
    const resolve = this.resolveNext;
    this.resolveNext = undefined;
    this.rejectNext = undefined;
    resolve?.(step);
  }

  /** Starts `drive` if a consumer waits and there is work: a busy stretch under way, or wake-ups queued. */
  private pump() {
    if (this.driving || this.resolveNext === undefined) return;
    if (this.stopped) return this.settle(DONE);
    if (this.worker === undefined && this.started && this.wakeups.length === 0) {
      // Idle: caught up, nothing queued, the consumer has taken everything and waits.
      this.parked = true;
      return;
    }
    this.parked = false;
    this.driving = true;
    void this.drive();
  }

  /**
   * Steps the busy stretch's generator until it yields an event the consumer is to be given (after `map`,
   * if any), the feed ends, or there is nothing left to do (then the consumer waits, parked). The
   * generator counts an event as taken when it is stepped again: when the consumer asked for the next
   * one, or `map` has sent it.
   */
  private async drive(): Promise<void> {
    let step: IteratorResult<unknown, void> | undefined;
    let failure: { error: unknown } | undefined;
    try {
      for (;;) {
        if (this.stopped) {
          step = DONE;
          break;
        }
        if (this.worker === undefined) {
          if (this.started && this.wakeups.length === 0) {
            this.parked = true;
            break;
          }
          this.worker = this.work();
        }
        const next = await this.worker.next();
        if (next.done) {
          this.worker = undefined;
          continue;
        }
        if (this.stopped) continue;
        if (this.map === undefined) {
          step = next;
          break;
        }
        const mapped = await this.map(next.value);
        // Stopped (returned) while `map` ran: the consumer is answered done, not given one more event.
        if (this.stopped) continue;
        if (mapped === END_FEED) this.stop();
        else if (mapped !== undefined) {
          step = { done: false, value: mapped };
          break;
        }
      }
    } catch (error) {
      failure = { error };
    }
    this.driving = false;
    // A failure after the feed was stopped (a read that was under way) is no longer the consumer's: done.
    if (failure && this.stopped) {
      failure = undefined;
      step = DONE;
    }
    if (failure) {
      this.worker = undefined;
      const reject = this.rejectNext;
      this.resolveNext = undefined;
      this.rejectNext = undefined;
      this.stop();
      reject?.(failure.error);
    } else if (step) {
      if (step.done) this.worker = undefined;
      this.settle(step);
    }
  }

  private holdOrDefer(signal: Extract<Wakeup, { kind: 'CHANGES' }>): Wakeup {
    const last = signal.changes.at(-1);
    if (!last || this.held + signal.changes.length <= this.options.maxPending) {
      this.held += signal.changes.length;
      return signal; // the same object for every device of the feed
    }
    return { kind: 'ADVANCED', offset: last.offset };
  }

  private visible(change: Change) {
    return reachesPlatform(change, this.options.platform);
  }

  private inFlightCount() {
    return (this.inFlight.length - this.inFlightHead) / 2;
  }

  /** Sends a transaction that follows `position` straight to the sink; false if it sent none of it. */
  private sentDirectly(signal: Extract<Wakeup, { kind: 'CHANGES' }>): boolean {
    const { changes } = signal;
    const first = changes[0];
    const sink = this.sink;
    // Parked means nothing is queued: whatever queues a wake-up unparks the feed first.
    if (!sink || !this.parked || this.stopped || first === undefined) return false;
    // A gap to repair, or changes already read, or too many to send at once: the iterator's path.
    if (first.offset !== this.position + 1 || this.inFlightCount() + changes.length > this.directInFlight) {
      return false;
    }
    for (let index = 0; index < changes.length; index++) {
      const change = changes[index] as Change;
      if (this.visible(change)) {
        let sent: boolean;
        try {
          sent = sink({ type: 'change', change }, this.written);
        } catch {
          sent = false; // not expected (a sink does not throw); the iterator's path reports what goes wrong
        }
        if (!sent) {
          // The rest of the transaction goes through the iterator, after what was sent here.
          if (index === 0) return false;
          this.parked = false;
          this.wakeups.push(this.holdOrDefer({ kind: 'CHANGES', changes: changes.slice(index) }));
          this.pump();
          return true;
        }
        this.inFlight.push(this.coveredFrom, change);
      }
      this.position = change.offset;
      this.known = Math.max(this.known, change.offset);
    }
    return true;
  }

  /** Counts an event the consumer has taken (it asked for the next one) and marks it delivered. */
  private taken(event: FeedEvent) {
    this.options.metrics?.sent(event);
    if (event.type === 'change') this.options.onDelivered?.(this.coveredFrom, event.change.offset);
  }

  /**
   * Where the feed starts: after `after` if the log still holds what follows it, else at the head with a
   * resync to send first; and whether the log is to be read from there (a replay, or changes that may
   * have been committed before the feed listened). Null when the device subscription is gone: deleted
   * after it was read for this feed and before the feed listened, so its DEVICE_REMOVED reached no one.
   * A function of its own, not part of `run`: what it reads (the head, the cursor) would otherwise stay
   * alive in the suspended generator's frame for the socket's life.
   */
  private async begin(): Promise<{ resync: FeedEvent | undefined; read: boolean } | null> {
    const { options } = this;
    const start = this.start ?? { after: null };
    this.start = undefined;
    await options.fanout.whenListening(options.feedId);
    const given = start.head;
    // Every read from here on comes after the feed listened: a device deleted before it is not found (its
    // feed ends, as DEVICE_REMOVED would have ended it), one deleted after it is heard of.
    const head = given ?? (await options.store.deviceFeedHead(options.deviceSubscriptionId));
    if (head === null) return null;
    const after = start.after;
    let resync: FeedEvent | undefined;
    if (after === null) this.position = head.offset;
    else if (
      after.epoch === head.epoch &&
      after.offset <= head.offset &&
      after.offset >= head.purgedThrough
    ) {
      this.position = after.offset;
    } else {
      this.position = head.offset;
      resync = { type: 'resync', position: head };
    }
    this.coveredFrom = this.position;
    this.known = head.offset;
    // A head read after the feed listened: anything committed since is heard live, so a device at that
    // head has nothing to read. A head given (read with the device, before the feed listened) may be
    // behind: a device at it is caught up unless changes were committed in between, which the head read
    // again now tells (the store reads the heads of every feed starting at once together, where a read of
    // the log is a query per device: a reconnect storm of caught-up devices). If it moved, the log is read
    // from the position as before. That head is read by the device's id: it also tells whether the device
    // is still there. A replay's first page tells that too (readFromStore), at no read of its own.
    if (this.position < head.offset) return { resync, read: true };
    if (given === undefined) return { resync, read: false };
    const now = await options.store.deviceFeedHead(options.deviceSubscriptionId);
    if (now === null) return null;
    const moved = now.epoch !== head.epoch || now.offset !== head.offset;
    if (moved) this.known = Math.max(this.known, now.offset);
    return { resync, read: moved };
  }

  /**
   * One busy stretch: the start (with its replay) the first time, then the wake-ups queued, until none is
   * left. After each `yield`, the consumer has taken the event (`taken`).
   */
  private async *work(): AsyncGenerator<FeedEvent, void> {
    const { options } = this;
    if (!this.started) {
      this.started = true;
      const begun = await this.begin();
      if (begun === null) return this.stop();
      const { resync, read } = begun;
      if (resync) {
        yield resync;
        this.taken(resync);
      }
      if (read) yield* this.readFromStore(TO_THE_END);
    }
    for (let wakeup = this.wakeups.shift(); wakeup !== undefined; wakeup = this.wakeups.shift()) {
      if (wakeup.kind === 'CATCH_UP') {
        yield* this.readFromStore(TO_THE_END);
        continue;
      }
      if (wakeup.kind === 'ADVANCED') {
        this.known = Math.max(this.known, wakeup.offset);
        if (wakeup.offset > this.position) yield* this.readFromStore(wakeup.offset);
        continue;
      }
      for (const change of wakeup.changes) {
        this.held--;
        this.known = Math.max(this.known, change.offset);
        if (change.offset <= this.position) continue; // already replayed
        if (change.offset > this.position + 1) yield* this.readFromStore(change.offset - 1);
        if (change.offset <= this.position) continue; // a resync during the repair moved past it
        this.position = change.offset;
        if (!this.visible(change)) continue;
        const event: FeedEvent = { type: 'change', change };
        yield event;
        // Resumed once the consumer has taken the event (asked for the next one, or `map` sent it).
        this.taken(event);
        options.metrics?.liveChangeSent(change);
      }
    }
  }

  /**
   * Everything in the store after `position`, up to `until` (inclusive). Offsets are dense, so a page
   * that does not start right after `position` means the log was purged under the read (the sweeper
   * runs concurrently): the device cannot be caught up change by change any more, so it resyncs.
   * Read to the end (`TO_THE_END`), a page shorter than asked for reached the end of the log: anything
   * committed after that read is heard live (the feed listened before it read), so the replay of a
   * reconnecting device costs one read, not one more to find the log empty. Pages are read only while the
   * device exists: none where changes are known to exist may also mean that it was deleted (before the
   * feed listened: see begin), which the head read then tells.
   */
  private async *readFromStore(until: number): AsyncGenerator<FeedEvent, void> {
    const { store, feedId, deviceSubscriptionId, metrics } = this.options;
    // A stopped feed reads no further page (nothing it yields would be taken).
    while (this.position < until && !this.stopped) {
      const limit = Math.min(PAGE_SIZE, until - this.position);
      const page = await store.readChanges(feedId, this.position, limit, deviceSubscriptionId);
      metrics?.readFromStore(page.length);
      const first = page[0];
      // A page that skips offsets, or none where changes are known to exist: purged under the read, or
      // the device is gone.
      if (first ? first.offset !== this.position + 1 : this.position < Math.min(until, this.known)) {
        const now = await store.deviceFeedHead(deviceSubscriptionId);
        if (now === null) return this.stop();
        this.position = now.offset;
        this.coveredFrom = this.position;
        const resync: FeedEvent = { type: 'resync', position: now };
        yield resync;
        this.taken(resync);
        return;
      }
      for (const change of page) {
        this.position = change.offset;
        if (this.visible(change)) {
          const event: FeedEvent = { type: 'change', change };
          yield event;
          this.taken(event);
        }
      }
      if (page.length === 0 || (page.length < limit && until === TO_THE_END)) return;
    }
  }

  deliverDirectly(consumer: DirectSink) {
    this.sink = consumer;
  }

  filterMap<U>(map: (event: FeedEvent) => Promise<U | undefined | typeof END_FEED>) {
    this.map = map;
    return this as AsyncIterableIterator<unknown> as AsyncIterableIterator<U>;
  }

  next(): Promise<IteratorResult<FeedEvent, void>> {
    if (this.resolveNext !== undefined) {
      return Promise.reject(new Error('A live feed serves one next() at a time.'));
    }
    if (this.stopped && !this.driving) return Promise.resolve(DONE);
    return new Promise<IteratorResult<unknown, void>>((resolve, reject) => {
      this.resolveNext = resolve;
      this.rejectNext = reject;
      this.pump();
    }) as Promise<IteratorResult<FeedEvent, void>>;
  }

  // Ends at once, even while the consumer waits for the next change (its next() is answered done); a busy
  // stretch under way ends at its next step.
  return(_value?: undefined): Promise<IteratorResult<FeedEvent, void>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  throw(error: unknown): Promise<IteratorResult<FeedEvent, void>> {
    this.stop();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
