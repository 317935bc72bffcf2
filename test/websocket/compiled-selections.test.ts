import { type ExecutionArgs, execute, type GraphQLFieldResolver, isObjectType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { NOTIFICATION_CHANGES } from '../../src/client/documents.js';
import type { FeedEvent } from '../../src/delivery/feed-stream.js';
import type { Change } from '../../src/domain/types.js';
import { createCompiledDocuments, MAX_COMPILED_DOCUMENTS } from '../../src/graphql/compiled-documents.js';
import { createSchema } from '../../src/graphql/schema.js';
import { executeOnEvent } from '../../src/websocket/compiled-selections.js';

const at = new Date('2026-12-05T06:40:00.000Z');

/** A live change as the feed hands it to the subscription: every field a selection may ask for. */
function changeEvent(overrides: Partial<Change['notification']> = {}): FeedEvent {
  return {
    type: 'change',
    change: {
      feedId: 'feed-1',
      epoch: 'epoch-1',
      offset: 42,
      kind: 'CREATED',
      notification: {
        id: '01938f5e-0000-7000-8000-000000000001',
        feedId: 'feed-1',
        appId: 'app-1',
        feedPosition: 42,
        appNotificationId: 'order-1042',
        targetHostName: 'shop.example.com',
        priority: 'HIGH',
        groupName: 'orders',
        visualContent: { title: 'Your order shipped', body: 'It "left" the warehouse\n today.' },
        rawContent: '{"order":1042}',
        platformTypes: ['WEB', 'ANDROID'],
        displayTimeToLive: 60,
        expirationDateTime: new Date(at.getTime() + 86_400_000),
        fallbackPolicy: {
          platformTypes: ['IOS'],
          fallbackDelayInSeconds: 120,
          visualContent: { title: 'Fallback', body: null },
        },
        readState: 'UNREAD',
        userActionState: 'SNOOZED',
        snoozedUntil: new Date(at.getTime() + 600_000),
        status: 'ACTIVE',
        createdDateTime: at,
        lastModifiedDateTime: at,
        ...overrides,
      },
    },
  };
}

const schema = createSchema();
const subscriberArgs = (query: string, variableValues: Record<string, unknown>): ExecutionArgs => ({
  schema,
  document: parse(query),
  variableValues,
  contextValue: {},
});

describe('compiled subscription selections', () => {
  // What a device receives must not change with the way its selection runs: the compiled function's
  // result is graphql-js's, field for field and in the same order (the frame's JSON text is compared).
  it.each([
    ['the client library’s selection', NOTIFICATION_CHANGES, { deviceSubscriptionId: 'd', after: null }],
    [
      'aliases, fragments and __typename',
      `subscription Changes($id: ID!) {
        change: notificationChanges(deviceSubscriptionId: $id) {
          __typename what: kind cursor
          notification {
            ...Basics
            payload { visualContent { title } rawContent }
            ... on Notification { snoozedUntil lastModifiedDateTime }
          }
        }
      }
      fragment Basics on Notification { id status priority targetPolicy { platformTypes } }`,
      { id: 'd' },
    ],
    // Without fragments: with both, graphql-jit can carry a condition to another place (compiled-documents.ts).
    [
      '@include/@skip on variables, one with a default',
      `subscription Changes($id: ID!, $more: Boolean!, $less: Boolean = true) {
        notificationChanges(deviceSubscriptionId: $id) {
          kind
          notification { id payload { visualContent @include(if: $more) { title } rawContent @skip(if: $less) } }
        }
      }`,
      { id: 'd', more: true },
    ],
  ])('gives graphql-js’s result for %s', (_, query, variables) => {
    const args = subscriberArgs(query, variables);
    const compiled = createCompiledDocuments()(args);
    expect(compiled).not.toBeNull();
    for (const event of [
      changeEvent(),
      changeEvent({ visualContent: null, fallbackPolicy: null, snoozedUntil: null, groupName: null }),
      { type: 'resync', position: { epoch: 'epoch-2', offset: 7 } } satisfies FeedEvent,
    ]) {
      const expected = JSON.stringify(execute({ ...args, rootValue: event }));
      expect(JSON.stringify(executeOnEvent(args, compiled, event))).toBe(expected);
    }
  });

  // graphql-jit's own errors differ (no extensions, other wording): a result with errors is graphql-js's.
  it('answers an event that breaks the schema (a null where none may be) exactly as graphql-js does', () => {
    const args = subscriberArgs(NOTIFICATION_CHANGES, { deviceSubscriptionId: 'd', after: null });
    const compiled = createCompiledDocuments()(args);
    const event = changeEvent({ appNotificationId: null as unknown as string });
    const result = executeOnEvent(args, compiled, event) as Awaited<ReturnType<typeof execute>>;
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(result)).toBe(JSON.stringify(execute({ ...args, rootValue: event })));
    expect(result.errors?.every((error) => typeof error.extensions === 'object')).toBe(true);
  });

  it('compiles a document once for all its subscribers, whatever their variables', () => {
    const compiledSelection = createCompiledDocuments();
    const document = parse(NOTIFICATION_CHANGES);
    const args = (deviceSubscriptionId: string): ExecutionArgs => ({
      schema,
      document,
      variableValues: { deviceSubscriptionId, after: null },
      contextValue: {},
    });
    const first = compiledSelection(args('device-1'));
    expect(first).not.toBeNull();
    expect(compiledSelection(args('device-2'))).toBe(first);
    // Another document with the same text is another document (documents are shared by text upstream).
    expect(compiledSelection({ ...args('device-3'), document: parse(NOTIFICATION_CHANGES) })).not.toBe(first);
  });

  it('keeps the most recently subscribed documents compiled, not every document ever subscribed', () => {
    const compiledSelection = createCompiledDocuments();
    const args = (document = parse(NOTIFICATION_CHANGES)): ExecutionArgs => ({
      schema,
      document,
      variableValues: { deviceSubscriptionId: 'd', after: null },
      contextValue: {},
    });
    const kept = args();
    const first = compiledSelection(kept);
    for (let i = 0; i < MAX_COMPILED_DOCUMENTS - 1; i++) compiledSelection(args());
    // Subscribed to again, it is the newest: the next documents push others out before it.
    expect(compiledSelection(kept)).toBe(first);
    for (let i = 0; i < MAX_COMPILED_DOCUMENTS; i++) compiledSelection(args());
    expect(compiledSelection(kept)).not.toBe(first);
  });

  it('leaves to graphql-js the arguments that bring a resolver of their own', () => {
    const fieldResolver: GraphQLFieldResolver<unknown, unknown> = () => 'resolved';
    const args = { ...subscriberArgs(NOTIFICATION_CHANGES, { deviceSubscriptionId: 'd' }), fieldResolver };
    expect(createCompiledDocuments()(args)).toBeNull();
    const event = changeEvent();
    expect(executeOnEvent(args, null, event)).toEqual(execute({ ...args, rootValue: event }));
  });

  it('reports a field that fails as graphql-js does: a null where allowed, and the error with its path', () => {
    const failingSchema = createSchema();
    const notification = failingSchema.getType('Notification');
    if (!isObjectType(notification)) throw new Error('no Notification type');
    const groupName = notification.getFields().groupName;
    if (!groupName) throw new Error('no groupName field');
    groupName.resolve = () => {
      throw new Error('store unreachable');
    };
    const args = {
      ...subscriberArgs(NOTIFICATION_CHANGES, { deviceSubscriptionId: 'd' }),
      schema: failingSchema,
    };
    const compiled = createCompiledDocuments()(args);
    const event = changeEvent();
    const result = executeOnEvent(args, compiled, event) as Awaited<ReturnType<typeof execute>>;
    const expected = execute({ ...args, rootValue: event }) as typeof result;
    expect(result.data).toEqual(expected.data);
    expect(result.errors?.map((error) => [error.message, error.path])).toEqual(
      expected.errors?.map((error) => [error.message, error.path]),
    );
    expect(result.errors?.[0]?.originalError?.message).toBe('store unreachable');
  });
});
