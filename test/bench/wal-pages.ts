// Which B-trees a batch of posts dirties: posts written through Tidings' SQLite store (as
// write-locality.ts), and after each batch the WAL's frames of its commit read back and each page
// named by SQLite's dbstat (table or index). Per post, the pages of each B-tree, medians over batches.
//
//   node --import tsx test/bench/wal-pages.ts
//   LOCALITY_USERS=10000 LOCALITY_BATCH=4 LOCALITY_BATCHES=100
//
// Measured 2026-12-06 (the defaults): a commit of 4 posts to different users wrote 24.9 frames of 4 KiB
// pages, one page a post in each of Feed, Notification (feedId, appNotificationId), (feedId,
// feedPosition) and Change's key, ≈ 0.4 in each B-tree that grows at its end; to one user 14.8. With
// 2 KiB pages (new databases since): 31.0 and 20.1 frames, half the size each.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { localityContent, openLocalityStore } from './lib/locality-store.js';

const USERS = Number(process.env.LOCALITY_USERS ?? 10_000);
const BATCH = Number(process.env.LOCALITY_BATCH ?? 4);
const BATCHES = Number(process.env.LOCALITY_BATCHES ?? 100);
const STRIDE = 7919;

/** The page numbers of the WAL's last commit (frames after the one before it, current salts only). */
function lastCommitPages(walPath: string): number[] {
  const wal = readFileSync(walPath);
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let current: number[] = [];
  let last: number[] = [];
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    current.push(wal.readUInt32BE(at));
    if (wal.readUInt32BE(at + 4) !== 0) {
      last = current;
      current = [];
    }
  }
  return last;
}

const { store, appId, unsids, databasePath: dbPath, close } = await openLocalityStore(USERS);
try {
  const reader = new Database(dbPath, { readonly: true });
  const pageNames = () =>
    new Map(
      (
        reader.prepare('SELECT name, pageno FROM dbstat').all() as Array<{ name: string; pageno: number }>
      ).map((row) => [row.pageno, row.name]),
    );

  let sequence = 0;
  let next = 0;
  for (const kind of ['one user', 'distinct users'] as const) {
    const counts = new Map<string, number>();
    let frames = 0;
    for (let b = 0; b < BATCHES; b++) {
      const at = new Date();
      await Promise.all(
        Array.from({ length: BATCH }, () => {
          next = (next + STRIDE) % USERS;
          return store.postNotification({
            target: { deviceSubscriptionId: unsids[kind === 'one user' ? 0 : next] as string, appId },
            content: localityContent(`walpages-${sequence++}`),
            now: at,
          });
        }),
      );
      const pages = lastCommitPages(`${dbPath}-wal`);
      const names = pageNames();
      frames += pages.length;
      for (const page of new Set(pages)) {
        const name = names.get(page) ?? 'free or unknown';
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }
    const posts = BATCHES * BATCH;
    process.stdout.write(`${kind}: ${(frames / BATCHES).toFixed(1)} frames a commit of ${BATCH} posts\n`);
    for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1])) {
      process.stdout.write(`  ${name.padEnd(48)} ${(count / posts).toFixed(2)} pages a post\n`);
    }
  }
  reader.close();
} finally {
  await close();
}
