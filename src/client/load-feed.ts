import { FEED_PAGE } from './documents.js';
import type { GraphQLRequest } from './graphql-http.js';
import { isTargetedAt } from './targeting.js';
import type { Notification, Platform } from './types.js';

// The largest page the gateway serves.
const PAGE_SIZE = 100;

interface FeedPage {
  notifications: {
    edges: Array<{ node: Notification }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    feedCursor: string | null;
  };
}

/**
 * The device's whole feed, newest first, and the cursor to subscribe from. The cursor is the first
 * page's: anything that changes while later pages are read comes again as a change after it, and
 * applying a change twice is harmless. The `notifications` query lists the user's whole feed; a
 * device shows only notifications targeted at its platform, or that fell back to it (`fallbacks`).
 * @throws TidingsClientError from the gateway (see createGraphQLRequest).
 */
export async function loadFeed(
  request: GraphQLRequest,
  platform: Platform,
  fallbacks: ReadonlySet<string>,
): Promise<{ notifications: Notification[]; feedCursor: string | null }> {
  const notifications: Notification[] = [];
  let feedCursor: string | null | undefined;
  let after: string | null = null;
  for (;;) {
    const { notifications: page }: FeedPage = await request<FeedPage>(FEED_PAGE, { first: PAGE_SIZE, after });
    feedCursor ??= page.feedCursor;
    for (const { node } of page.edges) {
      if (isTargetedAt(node, platform) || fallbacks.has(node.id)) notifications.push(node);
    }
    if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) break;
    after = page.pageInfo.endCursor;
  }
  return { notifications, feedCursor: feedCursor ?? null };
}
