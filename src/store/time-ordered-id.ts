import { randomBytes } from 'node:crypto';

// The time of the last id made and its counter (RFC 9562's "fixed bit-length dedicated counter"): ids
// made within one millisecond, or while the clock steps back, still sort in the order they were made.
let lastMs = 0;
let counter = 0;
const COUNTER_MAX = 0xfff;

/**
 * A UUID of version 7 (RFC 9562): 48 bits of Unix time in milliseconds, a 12-bit counter, then 62
 * random bits, so the ids this process makes sort (as text too) in the order it made them.
 *
 * Why notifications have these: a notification's id is the key of the Notification table's primary
 * index and of the change log's index by notification. A random id (version 4) put each new row at a
 * random place in both, so every post dirtied two pages of its own there, each written to the WAL at
 * commit and again by the checkpoint; ids in time order append at the indexes' ends, where the posts of
 * a batch, and of the batches after it, share pages. Measured with test/bench/write-locality.ts (SQLite,
 * batches of 4, 10,000 users): written per post 41 → 26 KiB when all go to one user, 77 → 53 KiB when
 * each goes to another user.
 *
 * Not for what must be unguessable (UNSIDs: 128 random bits): 62 bits here are random, and the
 * creation time is readable, as a notification's createdDateTime is anyway.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const random = randomBytes(16);
  if (now > lastMs) {
    lastMs = now;
    // A random start in the lower half leaves room to count up within the millisecond.
    counter = random.readUInt16BE(6) & (COUNTER_MAX >> 1);
  } else if (counter < COUNTER_MAX) {
    counter += 1;
  } else {
    // The counter is spent: borrow the next millisecond, as RFC 9562 allows.
    lastMs += 1;
    counter = 0;
  }
  random.writeUIntBE(lastMs, 0, 6);
  random[6] = 0x70 | (counter >> 8);
  random[7] = counter & 0xff;
  random[8] = 0x80 | ((random[8] as number) & 0x3f);
  const hex = random.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
