import { randomUUID } from 'node:crypto';

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
 * Not for what must be unguessable (UNSIDs: 144 random bits): 62 bits here are random, and the
 * creation time is readable, as a notification's createdDateTime is anyway.
 */
export function timeOrderedId(now: number = Date.now()): string {
  // The random bits come from a version-4 UUID: Node draws those from a cache of random bytes it refills
  // once per 128 UUIDs, where a randomBytes(16) per id was a call into OpenSSL and a Buffer each, with a
  // hex string and five slices of it (≈ 2 % of a post's CPU at saturation, in a profile of create-rate).
  // Its layout, `xxxxxxxx-xxxx-4RRR-VRRR-RRRRRRRRRRRR`: V is already RFC 9562's variant (8, 9, a or b).
  const random = randomUUID();
  if (now > lastMs) {
    lastMs = now;
    // A random start in the lower half leaves room to count up within the millisecond.
    counter = Number.parseInt(random.slice(15, 18), 16) & (COUNTER_MAX >> 1);
  } else if (counter < COUNTER_MAX) {
    counter += 1;
  } else {
    // The counter is spent: borrow the next millisecond, as RFC 9562 allows.
    lastMs += 1;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  // Version 7, then the counter's 12 bits; the variant and 62 random bits as the UUID gave them.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${counter.toString(16).padStart(3, '0')}-${random.slice(19)}`;
}
