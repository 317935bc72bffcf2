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

export function createAsyncQueue<T>(): AsyncQueue<T> {
  const items: T[] = [];
  let waiter: ((item: T | undefined) => void) | undefined;
  let closed = false;
  return {
    push(item) {
      if (closed) return;
      if (waiter) {
        const resolve = waiter;
        waiter = undefined;
        resolve(item);
      } else {
        items.push(item);
      }
    },
    pull() {
      if (items.length > 0) return Promise.resolve(items.shift());
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        waiter = resolve;
      });
    },
    close() {
      closed = true;
      items.length = 0;
      waiter?.(undefined);
      waiter = undefined;
    },
    get size() {
      return items.length;
    },
  };
}
