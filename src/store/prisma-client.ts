import type { Change, ChangeKind } from '../domain/types.js';
import type { PrismaClient } from './generated/sqlite/client.js';
import { toNotification } from './records.js';
import type { PostRequest, Store } from './types.js';

/**
 * A Prisma client of our models. Both providers' generated clients have this shape (their models are
 * the same, a test keeps the schemas in sync), so the store is written once against the SQLite one's types.
 */
export type Client = InstanceType<typeof PrismaClient>;
export type Transaction = Parameters<Parameters<Client['$transaction']>[0]>[0];
export type NotificationRow = Awaited<ReturnType<Client['notification']['findFirstOrThrow']>>;
export type Provider = 'sqlite' | 'postgres';

/**
 * What every part of the Prisma store works with. Writes go through interactive transactions on the
 * writer (`write`); reads go to `reader` (the same client where the database isolates them, as
 * PostgreSQL does; SQLite needs a second connection, see sqlite-store.ts).
 */
export interface Database {
  write<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  readonly reader: Client;
  readonly provider: Provider;
  /**
   * Writes that run in transactions of their own instead of through `write`, where a provider has them
   * (sqlite-post-writer.ts, postgres-post-writer.ts).
   */
  readonly direct?: DirectWrites;
}

export interface DirectWrites {
  writePosts(requests: readonly PostRequest[]): Promise<Array<Change | null>>;
  recordDeliveryMarks: Store['recordDeliveryMarks'];
}

export function databaseOf(
  writer: Client,
  reader: Client,
  provider: Provider,
  direct?: DirectWrites,
): Database {
  return {
    write: (work) => writer.$transaction(work),
    reader,
    provider,
    ...(direct ? { direct } : {}),
  };
}

/** A change of the log, with its notification row as it is now. */
export const changeOf = (
  position: { epoch: string; offset: number },
  kind: ChangeKind,
  row: NotificationRow,
): Change => ({
  feedId: row.feedId,
  ...position,
  kind,
  notification: toNotification(row),
});

/** Groups rows by feed, keeping order. */
export function byFeed<T extends { feedId: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(row.feedId, [...(groups.get(row.feedId) ?? []), row]);
  return groups;
}
