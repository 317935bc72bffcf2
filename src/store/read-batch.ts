import DataLoader from 'dataloader';
import { isStoreUnavailable } from './unavailable.js';

/** The most keys one query reads (SQLite and PostgreSQL bound a statement's parameters far above it). */
export const MAX_KEYS_PER_READ = 500;

/** What {@link createReadBatch} returns for a key, and how a batch is read: every key's row that exists. */
export type ReadMany<Key, Value> = (keys: readonly Key[]) => Promise<ReadonlyMap<Key, Value>>;

/**
 * A read by key whose calls on one turn of the event loop go to the store as one query (`readMany`), up
 * to MAX_KEYS_PER_READ keys at a time: when thousands of devices reconnect at once (a gateway restart, a
 * network blip), each socket's read was a query of its own, and the query's fixed cost (Prisma's client
 * and query plan, the driver, a round trip on PostgreSQL) was most of the read. A lone read waits for
 * nothing but the turn: the batch starts on the next check phase (setImmediate), as group commit's do
 * (group-commit.ts), because on SQLite's synchronous driver a read would otherwise be done before Node
 * read the next socket. Nothing is cached: every call reads the store as it is when its batch runs.
 * Every caller waits for that turn, an HTTP request's too; callers of one key in one batch share the
 * answer's object (read-only).
 *
 * DataLoader (GraphQL's own batching library) does the collecting; only its schedule is ours.
 * @returns the key's value, or `missing` when `readMany` found none; rejects with the store's error:
 *   every call of the batch when the store is unavailable, else only the call whose key fails alone.
 */
export function createReadBatch<Key, Value, Missing>(
  readMany: ReadMany<Key, Value>,
  missing: Missing,
): (key: Key) => Promise<Value | Missing> {
  const loader = new DataLoader<Key, Value | Missing>(
    async (keys) => {
      const answer = (found: ReadonlyMap<Key, Value>, key: Key) =>
        found.has(key) ? (found.get(key) as Value) : missing;
      try {
        const found = await readMany(keys);
        return keys.map((key) => answer(found, key));
      } catch (error) {
        // A store that is down fails every read alike. Anything else may be one key's doing (on PostgreSQL
        // a text with a NUL byte fails the whole query): each key is read again alone, so that a client's
        // bad key fails only its own read, never the other users' reads of the same turn.
        if (keys.length === 1 || isStoreUnavailable(error)) throw error;
        return Promise.all(
          keys.map((key) =>
            readMany([key]).then(
              (found) => answer(found, key),
              (alone: unknown) => (alone instanceof Error ? alone : new Error(String(alone))),
            ),
          ),
        );
      }
    },
    {
      cache: false,
      maxBatchSize: MAX_KEYS_PER_READ,
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    },
  );
  return (key) => loader.load(key);
}
