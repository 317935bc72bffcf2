/**
 * A push/pull queue whose pending pull ends when the queue closes. An async generator that awaits a
 * plain promise cannot be returned while it waits, so a client that unsubscribes would leave it (and
 * its listeners) behind; closing this queue releases the waiter at once.
 */
export interface AsyncQueue<T> {
  push(item: T): void;
  /** Resolves with the next item, or `undefined` once the queue is closed. */
  pull(): Promise<T | undefined>;
  close(): void;
  readonly size: number;
}

// A class, not an object of closures: every idle live feed holds one, and methods on a prototype cost
// nothing per queue (an object literal with a getter was also a dictionary of its own: ≈ 0.7 KiB per feed).
class ArrayQueue<T> implements AsyncQueue<T> {
  private items: T[] = [];
  private waiter: ((item: T | undefined) => void) | undefined = undefined;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    const resolve = this.waiter;
    if (resolve) {
      this.waiter = undefined;
      resolve(item);
    } else {
      this.items.push(item);
    }
  }

  pull(): Promise<T | undefined> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  close(): void {
    this.closed = true;
    this.items.length = 0;
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.(undefined);
  }

  get size(): number {
    return this.items.length;
  }
}

export function createAsyncQueue<T>(): AsyncQueue<T> {
  return new ArrayQueue<T>();
}
