/**
 * Where the client stands in the feed: the cursor of the last update the app handled, and the
 * notifications that fell back to this device (a `FALLBACK` change for them arrived). The gateway sends
 * a device every later change of those too, and nothing in a notification says it fell back: without
 * this list a restarted client would take them for notifications not meant for it, and remove them.
 */
export interface FeedPosition {
  readonly cursor: string;
  /** Ids of active notifications that fell back to this device. */
  readonly fallbacks: readonly string[];
}

/**
 * Where the client keeps its position in the feed. `save` is called after the app has handled an
 * update (its `onUpdate` returned or resolved), so a position that was loaded never skips an unhandled
 * change.
 */
export interface CursorStore {
  /** The last saved position, or null on a first start (the client then begins with a snapshot). */
  load(): Promise<FeedPosition | null> | FeedPosition | null;
  save(position: FeedPosition): Promise<void> | void;
}

/**
 * A position kept in memory: for a process that reloads its state on every start. `initial`: a cursor
 * to resume after (with no fallbacks), or a whole position.
 */
export function createMemoryCursorStore(initial: string | FeedPosition | null = null): CursorStore & {
  readonly cursor: string | null;
  readonly position: FeedPosition | null;
} {
  let position: FeedPosition | null =
    typeof initial === 'string' ? { cursor: initial, fallbacks: [] } : initial;
  return {
    get cursor() {
      return position?.cursor ?? null;
    },
    get position() {
      return position;
    },
    load: () => position,
    save(next) {
      position = next;
    },
  };
}

/** The part of the Web Storage API the localStorage store uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** A position read back from storage; a plain cursor string is what earlier versions saved. */
export function parseFeedPosition(saved: string | null): FeedPosition | null {
  if (saved === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(saved);
  } catch {
    return { cursor: saved, fallbacks: [] };
  }
  const { cursor, fallbacks } = (value ?? {}) as { cursor?: unknown; fallbacks?: unknown };
  if (typeof cursor !== 'string') return { cursor: saved, fallbacks: [] };
  const ids = Array.isArray(fallbacks) ? fallbacks.filter((id): id is string => typeof id === 'string') : [];
  return { cursor, fallbacks: ids };
}

/**
 * A position kept in the browser's localStorage under `key` (one key per UNSID), as JSON. Pass
 * `storage` to use sessionStorage or another Web Storage.
 * @throws TypeError when no storage is given and the environment has no localStorage.
 */
export function createLocalStorageCursorStore(key: string, storage?: StorageLike): CursorStore {
  const target = storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  if (!target) throw new TypeError('No localStorage here: pass a storage.');
  return {
    load: () => parseFeedPosition(target.getItem(key)),
    save: (position) => target.setItem(key, JSON.stringify(position)),
  };
}
