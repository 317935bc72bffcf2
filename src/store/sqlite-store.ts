import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import type { SqliteSynchronous } from '../config.js';
import { notFound } from '../errors.js';
import { PrismaClient } from './generated/sqlite/client.js';
import { applySqliteMigrations } from './migrations/apply-sqlite-migrations.js';
import { migrationsDirectory, readMigrationFiles } from './migrations/migration-files.js';
import { contentColumns, FRESH_STATE, toDeviceSubscription, toNotification } from './records.js';
import type { Change, ChangeKind, FeedOwner, Store } from './types.js';

export interface SqliteStoreOptions {
  /** `file:` URL or plain path of the database file. */
  readonly databaseUrl: string;
  readonly synchronous: SqliteSynchronous;
}

// How long a connection waits for another process's write lock (e.g. the CLI registering an app).
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating and migrating on first use) the SQLite store.
 *
 * Two connections: every write goes through an interactive transaction on `writer` (the driver adapter
 * serialises those), and every read goes to `reader`. With WAL a reader sees only committed data; on a
 * single connection a read could run inside another request's open transaction and see a change that
 * is later rolled back.
 *
 * @throws Error when the database cannot be opened or a migration fails.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const path = options.databaseUrl.replace(/^file:/, '');
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma('journal_mode = WAL');
    applySqliteMigrations(db, readMigrationFiles(migrationsDirectory('sqlite')));
  } finally {
    db.close();
  }
  const connect = async () => {
    const client = new PrismaClient({
      adapter: new PrismaBetterSqlite3({ url: path, timeout: BUSY_TIMEOUT_MS }),
    });
    await client.$executeRawUnsafe(`PRAGMA synchronous = ${options.synchronous}`);
    await client.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    return client;
  };
  const writer = await connect();
  const reader = await connect();
  return createPrismaStore(writer, reader);
}

type Client = InstanceType<typeof PrismaClient>;
type Transaction = Parameters<Parameters<Client['$transaction']>[0]>[0];

const feedKey = (owner: FeedOwner) => ({
  appId_issuer_subject: { appId: owner.appId, issuer: owner.issuer, subject: owner.subject },
});

function createPrismaStore(writer: Client, reader: Client): Store {
  const write = <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => writer.$transaction(work);

  /** Appends a change to the feed's log and returns its offset. */
  const appendChange = async (
    tx: Transaction,
    feedId: string,
    kind: ChangeKind,
    notificationId: string,
    now: Date,
  ) => {
    const feed = await tx.feed.update({ where: { id: feedId }, data: { lastOffset: { increment: 1 } } });
    await tx.change.create({
      data: { feedId, offset: feed.lastOffset, kind, notificationId, createdAt: now },
    });
    return { epoch: feed.epoch, offset: feed.lastOffset };
  };

  return {
    createApp: (app) => write((tx) => tx.app.create({ data: app, omit: { secretHash: true } })),
    findApp: (id) => reader.app.findUnique({ where: { id } }),
    listApps: () => reader.app.findMany({ orderBy: { createdAt: 'asc' }, omit: { secretHash: true } }),

    createDeviceSubscription: (input) =>
      write(async (tx) => {
        const feed = await tx.feed.upsert({
          where: feedKey(input.owner),
          create: { id: randomUUID(), ...input.owner, epoch: randomUUID() },
          update: {},
        });
        const row = await tx.deviceSubscription.create({
          data: {
            id: input.id,
            feedId: feed.id,
            platform: input.platform,
            deviceLabel: input.deviceLabel,
            expirationDateTime: input.expirationDateTime,
            createdDateTime: input.now,
          },
          include: { feed: true },
        });
        return toDeviceSubscription(row);
      }),
    async findDeviceSubscription(id) {
      const row = await reader.deviceSubscription.findUnique({ where: { id }, include: { feed: true } });
      return row && toDeviceSubscription(row);
    },
    async listDeviceSubscriptions(owner) {
      const rows = await reader.deviceSubscription.findMany({
        where: { feed: owner },
        include: { feed: true },
        orderBy: { createdDateTime: 'asc' },
      });
      return rows.map(toDeviceSubscription);
    },
    renewDeviceSubscription: (id, expirationDateTime) =>
      write(async (tx) => {
        const { count } = await tx.deviceSubscription.updateMany({
          where: { id },
          data: { expirationDateTime },
        });
        if (count === 0) throw notFound('Device subscription');
        const row = await tx.deviceSubscription.findUniqueOrThrow({ where: { id }, include: { feed: true } });
        return toDeviceSubscription(row);
      }),
    deleteDeviceSubscription: (id) =>
      write(async (tx) => {
        const { count } = await tx.deviceSubscription.deleteMany({ where: { id } });
        if (count === 0) throw notFound('Device subscription');
      }),

    async findFeedId(owner) {
      const feed = await reader.feed.findUnique({ where: feedKey(owner), select: { id: true } });
      return feed?.id ?? null;
    },
    upsertNotification: (feedId, content, now) =>
      write(async (tx): Promise<Change> => {
        const existing = await tx.notification.findUnique({
          where: { feedId_appNotificationId: { feedId, appNotificationId: content.appNotificationId } },
          select: { id: true },
        });
        const id = existing?.id ?? randomUUID();
        const kind: ChangeKind = existing ? 'REPLACED' : 'CREATED';
        // The change row references the notification, so write the notification first with a
        // provisional position and then point it at its change's offset.
        const columns = { ...contentColumns(content), ...FRESH_STATE, lastModifiedDateTime: now };
        await (existing
          ? tx.notification.update({ where: { id }, data: columns })
          : tx.notification.create({
              data: { id, feedId, feedPosition: 0, createdDateTime: now, ...columns },
            }));
        const position = await appendChange(tx, feedId, kind, id, now);
        const row = await tx.notification.update({ where: { id }, data: { feedPosition: position.offset } });
        return { feedId, ...position, kind, notification: toNotification(row) };
      }),
    async listNotifications(feedId, query) {
      // One read transaction: the page and the head come from the same snapshot, so a client that
      // resumes its live feed from this head misses nothing committed after the page was read.
      const [feed, rows] = await reader.$transaction([
        reader.feed.findUniqueOrThrow({ where: { id: feedId }, select: { epoch: true, lastOffset: true } }),
        reader.notification.findMany({
          where: {
            feedId,
            status: 'ACTIVE',
            ...(query.beforePosition === null ? {} : { feedPosition: { lt: query.beforePosition } }),
            ...(query.readState === null ? {} : { readState: query.readState }),
            ...(query.groupName === null ? {} : { groupName: query.groupName }),
          },
          orderBy: { feedPosition: 'desc' },
          take: query.first + 1,
        }),
      ]);
      return {
        notifications: rows.slice(0, query.first).map(toNotification),
        hasNextPage: rows.length > query.first,
        head: { epoch: feed.epoch, offset: feed.lastOffset },
      };
    },
    async findNotification(feedId, id) {
      const row = await reader.notification.findFirst({ where: { id, feedId } });
      return row && toNotification(row);
    },
    async feedHead(feedId) {
      const feed = await reader.feed.findUnique({
        where: { id: feedId },
        select: { epoch: true, lastOffset: true },
      });
      if (!feed) throw notFound('Feed');
      return { epoch: feed.epoch, offset: feed.lastOffset };
    },
    async readChanges(feedId, afterOffset, limit) {
      const rows = await reader.change.findMany({
        where: { feedId, offset: { gt: afterOffset } },
        orderBy: { offset: 'asc' },
        take: limit,
        include: { notification: true, feed: { select: { epoch: true } } },
      });
      return rows.map((row) => ({
        feedId,
        epoch: row.feed.epoch,
        offset: row.offset,
        kind: row.kind as ChangeKind,
        notification: toNotification(row.notification),
      }));
    },
    async ping() {
      await reader.$queryRawUnsafe('SELECT 1');
    },
    async close() {
      await Promise.all([writer.$disconnect(), reader.$disconnect()]);
    },
  };
}
