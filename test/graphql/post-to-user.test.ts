import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATIONS_SCOPE } from '../../src/auth/principal.js';
import { registerExternalApp } from '../../src/auth/register-app.js';
import type { FeedOwner } from '../../src/domain/types.js';
import { parsePostgresUrl, searchPathOption } from '../../src/store/migrations/apply-postgres-migrations.js';
import { onCleanup } from '../support/cleanup.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestApp, type TestGateway, testStore } from '../support/gateway.js';
import { dataOf, errorCodes, type GraphQLResponse, graphql } from '../support/graphql-http.js';
import { startIdentityProvider } from '../support/identity-provider.js';
import {
  createDevice,
  FEED,
  feedCursor,
  notificationInput,
  postNotification,
} from '../support/operations.js';

const HOST_A = 'a.example.com';
const HOST_B = 'b.example.com';

interface FeedPage {
  notifications: {
    edges: Array<{ node: { id: string; appNotificationId: string } }>;
    feedCursor: string;
  };
}

/** The appNotificationIds of the token's feed (as the `notifications` query lists them: newest first). */
async function listed(url: string, userToken: string): Promise<string[]> {
  const page = dataOf(await graphql<FeedPage>(url, FEED, { first: 100 }, userToken));
  return page.notifications.edges.map((edge) => edge.node.appNotificationId);
}

/** A valid notification input addressed to a user by id (no UNSID). */
const toUser = (userId: string, host: string, overrides: Record<string, unknown> = {}) =>
  notificationInput('', host, { deviceSubscriptionId: undefined, userId, ...overrides });

const created = (response: GraphQLResponse<{ createNotification: { outcome: string; notification: any } }>) =>
  dataOf(response).createNotification;

// An app service posts to a user by the id its user tokens carry: the user's feed in that app, which the
// user's devices read, created if the user has none yet.
describe('createNotification to a user by id', () => {
  let t: TestGateway;
  let appA: TestApp;
  let appB: TestApp;
  let issuer: string;
  /** The feed of `subject` (embedded issuer) in `app`, or null: read from the store. */
  const feedOf = (subject: string, app: TestApp) =>
    t.gateway.services.store.findFeedId({ appId: app.app.id, issuer, subject } satisfies FeedOwner);
  const headOf = async (subject: string, app: TestApp) => {
    const feedId = await feedOf(subject, app);
    return feedId === null ? null : (await t.gateway.services.store.feedHead(feedId)).offset;
  };

  beforeAll(async () => {
    t = await startGateway();
    appA = await t.registerApp(HOST_A);
    appB = await t.registerApp(HOST_B);
    issuer = t.gateway.issuer.issuer;
  });

  it('stores a post for a user with no device, which their first device then reads and follows', async () => {
    const user = `dana-${randomUUID()}`;
    expect(await feedOf(user, appA)).toBeNull();
    const first = created(
      await postNotification(
        t.url,
        await appA.token(),
        toUser(user, HOST_A, { appNotificationId: 'welcome' }),
      ),
    );
    expect(first.outcome).toBe('CREATED');

    // The user signs in for the first time (a token carrying that id) and registers a device.
    const token = await t.userToken(user, appA.app);
    const unsid = await createDevice(t.url, token, 'WEB');
    expect(await listed(t.url, token)).toEqual(['welcome']);
    // The device's feed is the one the post created: one feed, not a second one.
    const device = await t.gateway.services.store.findDeviceSubscription(unsid);
    expect(device?.feedId).toBe(await feedOf(user, appA));

    // It follows changes from the listing's cursor: a post by id arrives live, as one by UNSID does.
    const feed = openFeed(t.wsUrl, token, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(t.url, token),
    });
    const second = created(
      await postNotification(
        t.url,
        await appA.token(),
        toUser(user, HOST_A, { appNotificationId: 'second' }),
      ),
    );
    const live = await feed.next();
    expect(live).toMatchObject({ kind: 'CREATED', notification: { id: second.notification.id } });
    await feed.close();

    // And resumes: what was posted by id while it was away is replayed after its cursor.
    const third = created(
      await postNotification(t.url, await appA.token(), toUser(user, HOST_A, { appNotificationId: 'third' })),
    );
    const resumed = openFeed(t.wsUrl, token, { deviceSubscriptionId: unsid, after: live.cursor });
    expect(await resumed.next()).toMatchObject({
      kind: 'CREATED',
      notification: { id: third.notification.id },
    });
    await resumed.close();
  });

  it('delivers live to a user who has a device, in the same feed their UNSID names', async () => {
    const user = `erin-${randomUUID()}`;
    const token = await t.userToken(user, appA.app);
    const unsid = await createDevice(t.url, token, 'WEB');
    const feed = openFeed(t.wsUrl, token, {
      deviceSubscriptionId: unsid,
      after: await feedCursor(t.url, token),
    });
    const byId = created(
      await postNotification(
        t.url,
        await appA.token(),
        toUser(user, HOST_A, { appNotificationId: 'order-1' }),
      ),
    );
    expect(await feed.next()).toMatchObject({ kind: 'CREATED', notification: { id: byId.notification.id } });
    // Posting the same appNotificationId by UNSID replaces it: both name one feed.
    const byUnsid = created(
      await postNotification(
        t.url,
        await appA.token(),
        notificationInput(unsid, HOST_A, { appNotificationId: 'order-1' }),
      ),
    );
    expect(byUnsid).toMatchObject({ outcome: 'REPLACED', notification: { id: byId.notification.id } });
    expect((await feed.next()).kind).toBe('REPLACED');
    await feed.close();
  });

  it("reaches only the posting app's feed of a user: app B never reaches app A's", async () => {
    const user = `frank-${randomUUID()}`;
    const tokenA = await t.userToken(user, appA.app);
    const tokenB = await t.userToken(user, appB.app);
    const unsidA = await createDevice(t.url, tokenA, 'WEB');
    const feedA = openFeed(t.wsUrl, tokenA, {
      deviceSubscriptionId: unsidA,
      after: await feedCursor(t.url, tokenA),
    });
    const headA = await headOf(user, appA);

    const fromB = created(
      await postNotification(
        t.url,
        await appB.token(),
        toUser(user, HOST_B, { appNotificationId: 'from-b' }),
      ),
    );
    expect(fromB.outcome).toBe('CREATED');
    expect(await headOf(user, appA)).toBe(headA);
    expect(await listed(t.url, tokenA)).toEqual([]);
    // The user's first device in B finds it there.
    await createDevice(t.url, tokenB, 'WEB');
    expect(await listed(t.url, tokenB)).toEqual(['from-b']);

    // App A's own post is the next thing A's device hears: nothing of B's came before it.
    const fromA = created(
      await postNotification(
        t.url,
        await appA.token(),
        toUser(user, HOST_A, { appNotificationId: 'from-a' }),
      ),
    );
    expect(await feedA.next()).toMatchObject({ notification: { id: fromA.notification.id } });
    expect(await listed(t.url, tokenB)).toEqual(['from-b']);
    // B cannot post under A's host name either (the payload must name the posting app).
    const spoof = await postNotification(t.url, await appB.token(), toUser(user, HOST_A));
    expect(errorCodes(spoof)).toEqual(['BAD_USER_INPUT']);
    await feedA.close();
  });

  it.each([
    [
      'both a UNSID and a user id',
      (unsid: string, user: string) => ({ deviceSubscriptionId: unsid, userId: user }),
    ],
    ['neither a UNSID nor a user id', () => ({ deviceSubscriptionId: null, userId: null })],
    ['an empty user id', () => ({ deviceSubscriptionId: undefined, userId: '' })],
    ['a blank user id', () => ({ deviceSubscriptionId: undefined, userId: '   ' })],
    ['a user id over 255 characters', () => ({ deviceSubscriptionId: undefined, userId: 'u'.repeat(256) })],
    [
      'a user id with a control character (NUL)',
      () => ({ deviceSubscriptionId: undefined, userId: 'al\u0000ice' }),
    ],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_name, target) => {
    const user = `gina-${randomUUID()}`;
    const stranger = `henry-${randomUUID()}`;
    const unsid = await createDevice(t.url, await t.userToken(user, appA.app), 'WEB');
    const before = await headOf(user, appA);
    const answer = await postNotification(
      t.url,
      await appA.token(),
      notificationInput(unsid, HOST_A, target(unsid, stranger)),
    );
    expect(errorCodes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.errors?.[0]?.extensions?.field).toMatch(/^(userId|deviceSubscriptionId)$/);
    expect(await headOf(user, appA)).toBe(before);
    expect(await feedOf(stranger, appA)).toBeNull();
  });

  it('accepts a user id of exactly 255 characters', async () => {
    const user = `${randomUUID()}${'x'.repeat(255 - 36)}`;
    expect(created(await postNotification(t.url, await appA.token(), toUser(user, HOST_A))).outcome).toBe(
      'CREATED',
    );
    expect(await feedOf(user, appA)).not.toBeNull();
  });

  it("takes a delegated token's own user id, and refuses another user's as it refuses their UNSID", async () => {
    const user = `ivy-${randomUUID()}`;
    const other = `jack-${randomUUID()}`;
    await createDevice(t.url, await t.userToken(user, appA.app), 'WEB');
    await createDevice(t.url, await t.userToken(other, appA.app), 'WEB');
    const delegated = await t.userToken(user, appA.app, 600, [NOTIFICATIONS_SCOPE]);
    const own = await postNotification(t.url, delegated, toUser(user, HOST_A));
    expect(created(own).outcome).toBe('CREATED');
    const [userBefore, otherBefore] = [await headOf(user, appA), await headOf(other, appA)];
    const foreign = await postNotification(t.url, delegated, toUser(other, HOST_A));
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    const stranger = await postNotification(t.url, delegated, toUser(`kim-${randomUUID()}`, HOST_A));
    expect(errorCodes(stranger)).toEqual(['NOT_FOUND']);
    expect([await headOf(user, appA), await headOf(other, appA)]).toEqual([userBefore, otherBefore]);
  });

  it("creates one feed when posts by id and the user's first devices arrive at once", async () => {
    const users = Array.from({ length: 8 }, () => `lee-${randomUUID()}`);
    const appToken = await appA.token();
    const tokens = await Promise.all(users.map((user) => t.userToken(user, appA.app)));
    const results = await Promise.all(
      users.flatMap((user, i) => [
        postNotification(t.url, appToken, toUser(user, HOST_A, { appNotificationId: 'race-1' })),
        createDevice(t.url, tokens[i] as string, 'WEB'),
        postNotification(t.url, appToken, toUser(user, HOST_A, { appNotificationId: 'race-2' })),
        createDevice(t.url, tokens[i] as string, 'ANDROID'),
      ]),
    );
    for (const [i, user] of users.entries()) {
      const [post1, unsid1, post2, unsid2] = results.slice(i * 4, i * 4 + 4) as [
        GraphQLResponse<{ createNotification: { outcome: string; notification: any } }>,
        string,
        GraphQLResponse<{ createNotification: { outcome: string; notification: any } }>,
        string,
      ];
      expect(created(post1).outcome).toBe('CREATED');
      expect(created(post2).outcome).toBe('CREATED');
      const feedId = await feedOf(user, appA);
      for (const unsid of [unsid1, unsid2]) {
        expect((await t.gateway.services.store.findDeviceSubscription(unsid))?.feedId).toBe(feedId);
      }
      expect((await listed(t.url, tokens[i] as string)).sort()).toEqual(['race-1', 'race-2']);
    }
  });
});

// The feed a post by id creates may be created at the same instant by the user's first device, on another
// process: the post must wait for that transaction and use its feed, not fail on the unique key.
describe.runIf(testStore === 'postgres')(
  'createNotification to a user by id, racing a feed being created',
  () => {
    it("waits for another transaction's new feed of the user and posts into it", async () => {
      const t = await startGateway();
      const app = await t.registerApp(HOST_A);
      const user = `nina-${randomUUID()}`;
      const { connectionString, schema } = parsePostgresUrl(t.gateway.services.config.databaseUrl);
      const other = new pg.Client({ connectionString, options: searchPathOption(schema) });
      await other.connect();
      onCleanup(() => other.end());
      const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;

      // Another process's first device of this user: its feed inserted, not yet committed.
      const feedId = randomUUID();
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO "Feed" ("id", "appId", "issuer", "subject", "epoch") VALUES ($1, $2, $3, $4, $5)`,
        [feedId, app.app.id, t.gateway.issuer.issuer, user, randomUUID()],
      );
      const posting = postNotification(t.url, await app.token(), toUser(user, HOST_A));
      // The post's insert is blocked on that uncommitted row: polled for in the database, bounded.
      const probe = new pg.Client({ connectionString });
      await probe.connect();
      onCleanup(() => probe.end());
      const blockedBy = async () =>
        Number(
          (
            await probe.query<{ n: string }>(
              'SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
              [pid],
            )
          ).rows[0]?.n,
        );
      for (let polls = 0; (await blockedBy()) === 0; polls += 1) {
        if (polls > 400) throw new Error('The post never waited for the other transaction.');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await other.query('COMMIT');
      expect(created(await posting).outcome).toBe('CREATED');
      expect(
        await t.gateway.services.store.findFeedId({
          appId: app.app.id,
          issuer: t.gateway.issuer.issuer,
          subject: user,
        }),
      ).toBe(feedId);
    });
  },
);

// With an external issuer, the user id is the user claim of that issuer's tokens (here Entra's `oid`),
// for an app registered with that issuer: a user is their issuer and id together.
describe('createNotification to a user by id, for an app of an external issuer', () => {
  const AUDIENCE = 'api://tidings';
  const HOST = 'contoso.example.com';

  it("reaches the device that user registers with the issuer's token, not a same-named user of another issuer", async () => {
    const idp = await startIdentityProvider();
    const key = await idp.newKey('RS256');
    idp.publish(key);
    const t = await startGateway({
      env: {
        TIDINGS_EXTERNAL_ISSUER: idp.issuer,
        TIDINGS_EXTERNAL_JWKS_URL: idp.jwksUrl,
        TIDINGS_EXTERNAL_AUDIENCE: AUDIENCE,
        TIDINGS_CLAIM_USER: 'oid',
        TIDINGS_CLAIM_APP: 'appid',
        TIDINGS_CLAIM_SCOPES: 'scp,roles',
      },
    });
    const appId = randomUUID();
    const app = await registerExternalApp(t.gateway.services.store, {
      targetHostName: HOST,
      clientId: appId,
      issuer: idp.issuer,
    });
    const appToken = await idp.sign(key, {
      aud: AUDIENCE,
      sub: 'service-principal',
      oid: 'service-principal',
      idtyp: 'app',
      appid: appId,
      roles: [NOTIFICATIONS_SCOPE],
    });
    const posted = created(
      await postNotification(t.url, appToken, toUser('mia-oid', HOST, { appNotificationId: 'hello-mia' })),
    );
    expect(posted.outcome).toBe('CREATED');

    const mia = await idp.sign(key, { aud: AUDIENCE, sub: 'pairwise', oid: 'mia-oid', appid: appId });
    await createDevice(t.url, mia, 'WEB');
    expect(await listed(t.url, mia)).toEqual(['hello-mia']);
    // A user of the embedded issuer with the same id is someone else.
    const namesake = await t.userToken('mia-oid', app);
    await createDevice(t.url, namesake, 'WEB');
    expect(await listed(t.url, namesake)).toEqual([]);
  });
});
