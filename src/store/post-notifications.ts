import { randomUUID } from 'node:crypto';
import { mayUseDevice } from '../domain/device-access.js';
import { fallbackDueAt } from '../domain/fallback.js';
import type { Change, ChangeKind, DeviceSubscription, FeedOwner } from '../domain/types.js';
import type { ChangeRow, DeviceOwner, PostStatements, ReplaceColumns } from './post-statements.js';
import type { NotificationRow } from './prisma-client.js';
import { postedColumns, toNotification } from './records.js';
import { timeOrderedId } from './time-ordered-id.js';
import type { PostRequest } from './types.js';

/** One accepted post, placed in its feed's log. */
interface Placed {
  readonly request: PostRequest;
  readonly feedId: string;
  readonly epoch: string;
  readonly offset: number;
  readonly kind: ChangeKind;
  readonly id: string;
}

const keyOf = (feedId: string, appNotificationId: string) => `${feedId}\u0000${appNotificationId}`;

/**
 * Writes a batch of posts in one transaction, through `statements` (the transaction's), with a fixed
 * number of statements for the batch instead of several per post: the cost is per statement, so this
 * is what lets concurrent posts scale (see group-commit.ts).
 *
 * Each post creates or replaces (same feed + `appNotificationId`) its notification and logs the change;
 * posts are applied in order, so two posts of one key in a batch are a create and then a replace.
 * Answers, per request in order, its change, or null when its UNSID does not exist, is another app's, or
 * has expired at the request's `now`.
 */
export async function writePosts(
  statements: PostStatements,
  requests: readonly PostRequest[],
): Promise<Array<Change | null>> {
  const feedIds = await resolveFeeds(statements, requests);
  const counts = new Map<string, number>();
  for (const feedId of feedIds) if (feedId) counts.set(feedId, (counts.get(feedId) ?? 0) + 1);

  const next = new Map<string, { epoch: string; appId: string; offset: number }>();
  if (counts.size > 0) {
    for (const row of await statements.advanceFeeds(counts)) {
      const count = counts.get(row.id) ?? 0;
      next.set(row.id, { epoch: row.epoch, appId: row.appId, offset: Number(row.lastOffset) - count + 1 });
    }
  }

  const wanted = requests.flatMap((request, i) => {
    const feedId = feedIds[i];
    return feedId ? [{ feedId, appNotificationId: request.content.appNotificationId }] : [];
  });
  if (wanted.length === 0) return requests.map(() => null);
  const existing = await statements.existingKeys(wanted);
  const idOf = new Map(existing.map((row) => [keyOf(row.feedId, row.appNotificationId), row.id]));

  const placed: Array<Placed | null> = [];
  // Typed as whole rows, so the compiler proves every column is written (the rows are not read back).
  const creates: NotificationRow[] = [];
  const replaces: Array<{ placed: Placed; data: ReplaceColumns }> = [];
  for (const [i, request] of requests.entries()) {
    const feedId = feedIds[i];
    const feed = feedId ? next.get(feedId) : undefined;
    if (!feedId || !feed) {
      placed.push(null);
      continue;
    }
    const offset = feed.offset++;
    const key = keyOf(feedId, request.content.appNotificationId);
    const known = idOf.get(key);
    const data = columnsOf(request, offset);
    const entry: Placed = {
      request,
      feedId,
      epoch: feed.epoch,
      offset,
      kind: known ? 'REPLACED' : 'CREATED',
      // In time order, not random: see time-ordered-id.ts (pages written per post).
      id: known ?? timeOrderedId(),
    };
    if (known) replaces.push({ placed: entry, data });
    else {
      idOf.set(key, entry.id);
      creates.push({ id: entry.id, feedId, appId: feed.appId, createdDateTime: request.now, ...data });
    }
    placed.push(entry);
  }

  const rows = new Map<Placed, NotificationRow>();
  // Not read back: the rows are exactly what was written (reading them back cost a fifth of a batch).
  if (creates.length > 0) await statements.insertNotifications(creates);
  const createdById = new Map(creates.map((row) => [row.id, row]));
  for (const entry of placed) {
    if (entry?.kind === 'CREATED') rows.set(entry, createdById.get(entry.id) as NotificationRow);
  }
  // After the creates: a replace in this batch may replace a notification the batch created.
  for (const { placed: entry, data } of replaces) {
    rows.set(entry, await statements.replaceNotification(entry.id, data));
  }
  const logged = placed.filter((entry): entry is Placed => entry !== null);
  if (logged.length > 0) {
    await statements.insertChanges(
      logged.map(
        (entry): ChangeRow => ({
          feedId: entry.feedId,
          offset: entry.offset,
          kind: entry.kind,
          notificationId: entry.id,
          createdAt: entry.request.now,
        }),
      ),
    );
  }
  return placed.map((entry) => {
    if (!entry) return null;
    const row = rows.get(entry);
    if (!row) throw new Error('Unreachable: a placed post without its row.');
    return {
      feedId: entry.feedId,
      epoch: entry.epoch,
      offset: entry.offset,
      kind: entry.kind,
      notification: toNotification(row),
    };
  });
}

/** The content and fresh state a post writes; its position is the offset of its change. */
export const columnsOf = (request: PostRequest, offset: number): ReplaceColumns =>
  postedColumns(request.content, offset, request.now, fallbackDueAt(request.content, request.now));

/**
 * Each request's feed: given; its owner's (created if need be, unless `createMissing` is false: then
 * null); or the one behind its UNSID if usable by its app at its time, else null.
 */
export async function resolveFeeds(
  statements: Pick<PostStatements, 'devices' | 'feeds' | 'insertFeedsIfMissing'>,
  requests: readonly PostRequest[],
  createMissing = true,
): Promise<Array<string | null>> {
  const feedOf = await ensureFeeds(
    statements,
    requests.flatMap((r) => ('owner' in r.target ? [r.target.owner] : [])),
    createMissing,
  );
  const unsids = [
    ...new Set(
      requests.flatMap((r) => ('deviceSubscriptionId' in r.target ? [r.target.deviceSubscriptionId] : [])),
    ),
  ];
  const devices = new Map<string, DeviceOwner>();
  if (unsids.length > 0) for (const row of await statements.devices(unsids)) devices.set(row.id, row);
  return requests.map(({ target, now }) => {
    if ('feedId' in target) return target.feedId;
    if ('owner' in target) return feedOf.get(ownerKey(target.owner)) ?? null;
    const row = devices.get(target.deviceSubscriptionId);
    // The one rule for a UNSID named in a request (only the fields it reads are given).
    const device = row && {
      id: row.id,
      feedId: row.feedId,
      expirationDateTime: row.expirationDateTime,
      owner: { appId: row.appId, issuer: row.issuer, subject: row.subject },
    };
    return mayUseDevice(device as DeviceSubscription | undefined, { kind: 'app', appId: target.appId }, now)
      ? (row?.feedId ?? null)
      : null;
  });
}

const ownerKey = (owner: FeedOwner) => JSON.stringify([owner.appId, owner.issuer, owner.subject]);

/**
 * The feed of each owner, by owner key, created for those who have none yet (a post to a user by id
 * before their first device). One read when every feed exists, as it mostly does. Otherwise ONE insert of
 * the missing ones that skips any that exists by then: a first device subscription (device-store.ts) or
 * another process's post may be creating the same feed at the same time, and the feed's unique key
 * settles it without an error on either side (on PostgreSQL the insert waits for the other transaction,
 * then skips; each statement of a READ COMMITTED transaction sees what committed before it). Rows go in
 * key order, so two batches creating the same feeds wait for each other in one order, never in a cycle.
 */
async function ensureFeeds(
  statements: Pick<PostStatements, 'feeds' | 'insertFeedsIfMissing'>,
  owners: readonly FeedOwner[],
  createMissing: boolean,
): Promise<Map<string, string>> {
  const feedOf = new Map<string, string>();
  if (owners.length === 0) return feedOf;
  const unique = [...new Map(owners.map((owner) => [ownerKey(owner), owner])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, owner]) => owner);
  const find = async (wanted: readonly FeedOwner[]) => {
    for (const feed of await statements.feeds(wanted)) feedOf.set(ownerKey(feed), feed.id);
  };
  await find(unique);
  const missing = unique.filter((owner) => !feedOf.has(ownerKey(owner)));
  if (missing.length === 0 || !createMissing) return feedOf;
  await statements.insertFeedsIfMissing(
    missing.map((owner) => ({ ...owner, id: randomUUID(), epoch: randomUUID() })),
  );
  await find(missing);
  return feedOf;
}
