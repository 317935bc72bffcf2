import type { DirectWrites } from './prisma-client.js';
import { createSqliteDirectWrites } from './sqlite-post-writer.js';
import type { SqliteAdapterConnection } from './sqlite-write-thread.js';

/**
 * Posts and delivery marks written on the event loop, on Prisma's writer connection, holding its
 * adapter's transaction lock so that they never interleave with a Prisma transaction there: what a
 * process limited to one CPU uses (TIDINGS_SQLITE_WRITE_THREAD=auto), where a worker thread could only
 * take turns with the loop and handing it each batch cost more than the fsync it took off the loop
 * (bench create-rate, server pinned to one CPU: 978 → 658 posts/s with the thread).
 */
export function createSqliteLoopWrites(
  connection: SqliteAdapterConnection,
  onQuery?: (sql: string) => void,
): DirectWrites {
  const writes = createSqliteDirectWrites(connection.client, onQuery);
  const endEmpty = connection.client.prepare('COMMIT');
  async function locked<T>(work: () => Promise<T>): Promise<T> {
    const lock = await connection.startTransaction();
    try {
      // The lock comes with a BEGIN of the adapter's, still empty; the writes begin their own.
      if (connection.client.inTransaction) endEmpty.run();
      return await work();
    } finally {
      await lock.commit();
    }
  }
  return {
    writePosts: (requests) => locked(() => writes.writePosts(requests)),
    recordDeliveryMarks: (marks, kind) => locked(() => writes.recordDeliveryMarks(marks, kind)),
  };
}
