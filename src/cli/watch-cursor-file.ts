import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseFeedPosition } from '../client/cursor-store.js';
import type { CursorStore, FeedPosition } from '../client/index.js';
import { UsageError } from './cli-context.js';

/** What `tidings watch --cursor-file` keeps: the device it watches, and its position once it has one. */
export interface WatchState {
  readonly unsid: string;
  readonly position: FeedPosition | null;
}

/**
 * Reads a cursor file: null when there is none yet.
 * @throws UsageError when the file exists but is not one that tidings watch wrote.
 */
export function readCursorFile(path: string): WatchState | null {
  if (!existsSync(path)) return null;
  let saved: { unsid?: unknown; cursor?: unknown; fallbacks?: unknown };
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new UsageError(
      `${path} is not a cursor file of tidings watch (${(error as Error).message}): give another --cursor-file.`,
    );
  }
  if (typeof saved.unsid !== 'string' || (saved.cursor !== null && typeof saved.cursor !== 'string')) {
    throw new UsageError(`${path} is not a cursor file of tidings watch: give another --cursor-file.`);
  }
  const position = saved.cursor === null ? null : parseFeedPosition(JSON.stringify(saved));
  return { unsid: saved.unsid, position };
}

/**
 * Writes the state whole or not at all (a new file renamed over the old one), so a watch killed while
 * saving leaves the previous position, never half of one.
 * @throws Error when the file cannot be written.
 */
export function writeCursorFile(path: string, state: WatchState): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const saved = {
    unsid: state.unsid,
    cursor: state.position?.cursor ?? null,
    fallbacks: state.position?.fallbacks ?? [],
  };
  writeFileSync(temporary, `${JSON.stringify(saved)}\n`);
  renameSync(temporary, path);
}

/** The client library's cursor store, kept in the cursor file of the device `unsid`. */
export function cursorFileStore(path: string, unsid: string, initial: FeedPosition | null): CursorStore {
  return {
    load: () => initial,
    save: (position) => writeCursorFile(path, { unsid, position }),
  };
}
