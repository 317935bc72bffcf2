import {
  type ExecutionArgs,
  execute,
  type GraphQLSchema,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import * as clientDocuments from '../../src/client/documents.js';
import {
  createCompiledDocuments,
  executesAsGraphqlJs,
  listWhereObject,
  MAX_COMPILED_FIELDS,
} from '../../src/graphql/compiled-documents.js';
import { createSchema } from '../../src/graphql/schema.js';

// The known operations over HTTP (src/http/known-operations.ts) run their compiled query once and never
// again: what a resolver is handed must be what graphql-js hands it, defaults, nulls and scalars included.

const CREATE = `mutation ($input: CreateNotificationInput!) {
  createNotification(input: $input) { outcome notification { id } }
}`;

/** The schema with createNotification's resolver replaced by one that records its arguments. */
function recordingSchema(): { schema: GraphQLSchema; calls: unknown[] } {
  const schema = createSchema();
  const calls: unknown[] = [];
  const field = schema.getMutationType()?.getFields().createNotification;
  if (!field) throw new Error('no createNotification');
  field.resolve = (_root, args) => {
    calls.push(args);
    return { outcome: 'CREATED', notification: { id: 'n-1' } };
  };
  return { schema, calls };
}

const base = {
  deviceSubscriptionId: 'd-1',
  appNotificationId: 'a-1',
  payload: { visualContent: { title: 'Hi' } },
};

describe('compiled documents', () => {
  // Whatever graphql-js refuses, the compiled query refuses before any resolver runs (the known operations
  // then let graphql-js answer with its own messages); whatever it accepts reaches the resolver alike,
  // defaults, nulls, enums, lists of one and date-times included.
  it.each([
    ['the fewest fields (priority from its default)', base],
    [
      'every field, nested inputs, enums, a date-time and a list of one',
      {
        ...base,
        userId: null,
        targetHostName: 'app.example.com',
        payload: { visualContent: { title: 'Hi', body: null }, rawContent: '{"k":1}' },
        targetPolicy: { platformTypes: 'WEB' },
        priority: 'HIGH',
        groupName: null,
        displayTimeToLive: 60,
        expirationDateTime: '2026-12-31T10:00:00+02:00',
        fallbackPolicy: {
          endpointFallback: {
            platformTypes: ['ANDROID', 'IOS'],
            fallbackDelayInSeconds: 90,
            visualContent: { title: 'F' },
          },
        },
      },
    ],
    ['an unknown priority', { ...base, priority: 'URGENT' }],
    ['a priority in lower case', { ...base, priority: 'high' }],
    ['a date-time without a zone', { ...base, expirationDateTime: '2026-12-31T10:00:00' }],
    ['a date-time that is no date', { ...base, expirationDateTime: 'tomorrow' }],
    ['nothing at all', {}],
    ['a number for a title', { ...base, payload: { visualContent: { title: 5 } } }],
    ['a boolean for a key', { ...base, appNotificationId: true }],
    ['a fraction for an Int', { ...base, displayTimeToLive: 1.5 }],
    ['an Int out of range', { ...base, displayTimeToLive: 2 ** 31 }],
    ['a string for an Int', { ...base, displayTimeToLive: '60' }],
    ['an unknown platform in a list', { ...base, targetPolicy: { platformTypes: ['WEB', 'MARS'] } }],
    ['a null in a list of non-nulls', { ...base, targetPolicy: { platformTypes: ['WEB', null] } }],
    ['a list for an object', { ...base, payload: [{ visualContent: { title: 'Hi' } }] }],
    ['an object for a string', { ...base, payload: { rawContent: {} } }],
    ['an unknown field, nested', { ...base, payload: { visualContent: { title: 'Hi', subtitle: 'x' } } }],
    ['a null for a required field', { ...base, appNotificationId: null }],
    ['a number for an ID (accepted as its text)', { ...base, deviceSubscriptionId: 42 }],
    ['an explicit null for a defaulted field', { ...base, priority: null }],
  ])('refuse or accept the variables graphql-js does: %s', async (_, input) => {
    const { schema, calls } = recordingSchema();
    const args: ExecutionArgs = {
      schema,
      document: parse(CREATE),
      variableValues: { input },
      contextValue: {},
    };
    const compiled = createCompiledDocuments()(args);
    expect(compiled).not.toBeNull();
    const interpreted = await execute(args);
    const fast = await compiled?.query(undefined, {}, { input });
    if (interpreted.data === undefined) {
      expect(interpreted.errors?.length).toBeGreaterThan(0);
      expect(fast?.errors?.length).toBeGreaterThan(0);
      expect(fast && 'data' in fast).toBe(false);
      expect(calls).toHaveLength(0);
    } else {
      expect(calls).toHaveLength(2);
      // toStrictEqual: a field left out and a field given as null stay apart, as graphql-js keeps them.
      expect(calls[1]).toStrictEqual(calls[0]);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(interpreted));
    }
  });

  // What a request runs once (known operations over HTTP) is compiled only where graphql-jit runs it as
  // graphql-js does (see executesAsGraphqlJs for what it does otherwise).
  it('compile for requests what runs alike, and leave the rest to graphql-js', () => {
    const schema = createSchema();
    const compiledOf = createCompiledDocuments(executesAsGraphqlJs);
    const compiled = (query: string) => compiledOf({ schema, document: parse(query), contextValue: {} });
    const clientOperations = Object.values(clientDocuments as Record<string, unknown>).filter(
      (text): text is string => typeof text === 'string' && /^(query|mutation) /.test(text),
    );
    expect(clientOperations.length).toBeGreaterThan(10);
    for (const query of [
      CREATE,
      '{ __typename }',
      'query { notifications(first: 10) { feedCursor } }',
      ...clientOperations,
    ]) {
      expect(compiled(query), query).not.toBeNull();
    }
    const ref = '{ id: "n-1" }';
    for (const query of [
      // Two root fields of a mutation: graphql-jit would run the second after the first failed.
      `mutation { markAllRead { count } again: markAllRead { count } }`,
      `mutation ($go: Boolean!) { markAllRead @include(if: $go) { count } }`,
      // A variable inside a literal object: left out, graphql-jit hands the resolver null for it.
      `mutation ($g: String) { updateNotification(input: { notification: ${ref}, groupName: $g }) { notification { id } } }`,
      `mutation { updateNotification(input: { notification: ${ref}, groupName: "g" }) { notification { id } } }`,
      // A default value: graphql-jit hands a DateTime default over as text.
      `mutation ($e: DateTime = "2030-01-01T00:00:00Z") { updateNotification(input: { notification: ${ref}, expirationDateTime: $e }) { notification { id } } }`,
      `query ($first: Int = 5) { notifications(first: $first) { feedCursor } }`,
      // Too many fields to be worth a compilation a client could make the gateway repeat.
      `query { ${Array.from({ length: MAX_COMPILED_FIELDS + 1 }, (_, i) => `f${i}: __typename`).join(' ')} }`,
    ]) {
      expect(compiled(query), query).toBeNull();
    }
  });

  // graphql-jit keeps a field's conditions on the document's own node: a fragment used twice took the
  // conditions of one place to the other, leaving fields out with no error. Left to graphql-js, whoever asks.
  it('leave documents with both fragments and @skip/@include to graphql-js', () => {
    const schema = createSchema();
    const compiledOf = createCompiledDocuments();
    const compiled = (query: string) => compiledOf({ schema, document: parse(query), contextValue: {} });
    const fragment = 'fragment F on Notification { id groupName }';
    const ref = '$r: NotificationRef!, $a: Boolean!';
    for (const query of [
      `query (${ref}) { x: notification(notification: $r) { ...F @include(if: $a) } y: notification(notification: $r) { ...F } } ${fragment}`,
      `query (${ref}) { notification(notification: $r) { ... @skip(if: $a) { id } groupName } }`,
      `query (${ref}) { notification(notification: $r) { id @include(if: $a) ...F } } ${fragment}`,
    ]) {
      expect(compiled(query), query).toBeNull();
    }
    expect(
      compiled(`query ($r: NotificationRef!) { notification(notification: $r) { ...F } } ${fragment}`),
    ).not.toBeNull();
    expect(
      compiled(`query (${ref}) { notification(notification: $r) { id groupName @include(if: $a) } }`),
    ).not.toBeNull();
  });

  it('find a list given where the operation takes an input object, and nothing else', () => {
    const schema = createSchema();
    const document = parse(CREATE);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const listed = (input: unknown) => listWhereObject(schema, operation, { input });
    expect(listed({ ...base, targetPolicy: [] })).toBe(true);
    expect(listed({ ...base, payload: { visualContent: [] } })).toBe(true);
    expect(listed([base])).toBe(true);
    expect(listed(base)).toBe(false);
    expect(listed({ ...base, targetPolicy: { platformTypes: [] } })).toBe(false);
    expect(listed({ ...base, targetPolicy: { platformTypes: 'WEB' } })).toBe(false);
    expect(listed(null)).toBe(false);
    expect(listWhereObject(schema, operation, undefined)).toBe(false);
  });

  it("leave introspection to graphql-js's own resolvers, and compile __typename", () => {
    const schema = createSchema();
    const compiledOf = createCompiledDocuments();
    const args = (query: string): ExecutionArgs => ({ schema, document: parse(query), contextValue: {} });
    expect(compiledOf(args('{ __schema { queryType { name } } }'))).toBeNull();
    expect(
      compiledOf(
        args('query { deviceSubscriptions { edges { node { id } } } __type(name: "Query") { name } }'),
      ),
    ).toBeNull();
    expect(compiledOf(args('{ __typename }'))).not.toBeNull();
  });
});
