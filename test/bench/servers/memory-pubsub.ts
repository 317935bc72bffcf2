// The naive in-memory pub/sub a first GraphQL subscription server would have: a queue per subscriber.

export interface MemoryPubSub<T> {
  publish(topic: string, value: T): void;
  subscribe(topic: string): AsyncIterableIterator<T>;
}

export function createMemoryPubSub<T>(): MemoryPubSub<T> {
  const topics = new Map<string, Set<(value: T) => void>>();
  return {
    publish(topic, value) {
      for (const push of topics.get(topic) ?? []) push(value);
    },
    subscribe(topic) {
      const queue: T[] = [];
      let wake: ((result: IteratorResult<T>) => void) | undefined;
      const push = (value: T) => {
        if (wake) {
          wake({ value, done: false });
          wake = undefined;
        } else queue.push(value);
      };
      const subscribers = topics.get(topic) ?? new Set();
      topics.set(topic, subscribers);
      subscribers.add(push);
      const end = (): IteratorResult<T> => {
        subscribers.delete(push);
        if (subscribers.size === 0 && topics.get(topic) === subscribers) topics.delete(topic);
        wake?.({ value: undefined, done: true });
        wake = undefined;
        return { value: undefined, done: true };
      };
      return {
        next: () =>
          queue.length > 0
            ? Promise.resolve({ value: queue.shift() as T, done: false })
            : new Promise((resolve) => {
                wake = resolve;
              }),
        return: async () => end(),
        throw: async () => end(),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },
  };
}
