import { buildSchema, type ExecutionArgs, type GraphQLSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSharedSubscribe } from '../../src/websocket/shared-execution.js';

// Where one event's shared results are kept: on the object the sharing key names (in the gateway, the
// change), under a key of each shared subscribe, invisible to JSON and spreads.

const document = parse('subscription ($feed: ID!) { events(feed: $feed) }');

/** A schema whose one subscription yields `event` once, its result made by `resolve`. */
function schemaYielding(event: object, resolve: (event: { text: string }) => string): GraphQLSchema {
  const schema = buildSchema('type Query { ok: Boolean } type Subscription { events(feed: ID!): String }');
  const field = schema.getSubscriptionType()?.getFields().events;
  if (!field) throw new Error('no events field');
  field.subscribe = async function* () {
    yield event;
  };
  field.resolve = resolve as never;
  return schema;
}

/** What one subscriber of `schema` is sent first, through `subscribe`. */
async function firstResult(subscribe: ReturnType<typeof createSharedSubscribe>, schema: GraphQLSchema) {
  const args = { schema, document, variableValues: { feed: 'feed-1' } } as ExecutionArgs;
  const results = (await subscribe(args)) as AsyncIterableIterator<unknown>;
  const first = await results.next();
  await results.return?.();
  return first.value;
}

/** What three subscribers of `schema` through one shared subscribe are sent first. */
function threeSubscribers(schema: GraphQLSchema) {
  const subscribe = createSharedSubscribe((e) => e as object);
  return Promise.all([1, 2, 3].map(() => firstResult(subscribe, schema)));
}

describe('shared results of one event', () => {
  it('are executed once for every subscriber of one selection', async () => {
    const event = { text: 'hello' };
    let executions = 0;
    const schema = schemaYielding(event, (e) => {
      executions += 1;
      return e.text;
    });
    expect(await threeSubscribers(schema)).toEqual(
      Array.from({ length: 3 }, () => ({ data: { events: 'hello' } })),
    );
    expect(executions).toBe(1);
  });

  it('are never another shared subscribe’s, e.g. another schema’s, for the same event object', async () => {
    const event = { text: 'hello' };
    const first = createSharedSubscribe((e) => e as object);
    const second = createSharedSubscribe((e) => e as object);
    expect(
      await firstResult(
        first,
        schemaYielding(event, (e) => `A:${e.text}`),
      ),
    ).toEqual({
      data: { events: 'A:hello' },
    });
    expect(
      await firstResult(
        second,
        schemaYielding(event, (e) => `B:${e.text}`),
      ),
    ).toEqual({
      data: { events: 'B:hello' },
    });
  });

  it('leave the event as it was to JSON, spreads, keys and clones', async () => {
    const event = { text: 'hello', offset: 7 };
    const json = JSON.stringify(event);
    const subscribe = createSharedSubscribe((e) => e as object);
    await firstResult(
      subscribe,
      schemaYielding(event, (e) => e.text),
    );
    expect(JSON.stringify(event)).toBe(json);
    expect(Object.keys(event)).toEqual(['text', 'offset']);
    expect({ ...event }).toEqual({ text: 'hello', offset: 7 });
    expect(Object.getOwnPropertySymbols({ ...event })).toEqual([]);
    expect(structuredClone(event)).toEqual({ text: 'hello', offset: 7 });
  });

  it('are right for an event that takes no property (each subscriber gets its result)', async () => {
    const event = Object.freeze({ text: 'frozen' });
    expect(await threeSubscribers(schemaYielding(event, (e) => e.text))).toEqual(
      Array.from({ length: 3 }, () => ({ data: { events: 'frozen' } })),
    );
  });
});
