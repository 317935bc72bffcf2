/**
 * Where the client keeps its position in the feed. `save` is called after the app has handled a change
 * (its `onUpdate` returned or resolved), so a cursor that was loaded never skips an unhandled change.
 */
export interface CursorStore {
  /** The last saved cursor, or null on a first start (the client then begins with a snapshot). */
  load(): Promise<string | null> | string | null;
  save(cursor: string): Promise<void> | void;
}

/** A cursor kept in memory: for a process that reloads its state on every start. */
export function createMemoryCursorStore(initial: string | null = null): CursorStore & {
  readonly cursor: string | null;
} {
  let cursor = initial;
  return {
    get cursor() {
      return cursor;
    },
    load: () => cursor,
    save(next) {
      cursor = next;
    },
  };
}

/** The part of the Web Storage API the localStorage store uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * A cursor kept in the browser's localStorage under `key` (one key per UNSID). Pass `storage` to use
 * sessionStorage or another Web Storage.
 * @throws TypeError when no storage is given and the environment has no localStorage.
 */
export function createLocalStorageCursorStore(key: string, storage?: StorageLike): CursorStore {
  const target = storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  if (!target) throw new TypeError('No localStorage here: pass a storage.');
  return {
    load: () => target.getItem(key),
    save: (cursor) => target.setItem(key, cursor),
  };
}
