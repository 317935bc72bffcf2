// System 3, a peer from npm: GraphQL Yoga with its own pub/sub (createPubSub), and graphql-ws over `ws`
// wired the way Yoga documents it (Yoga's envelop parse/validate/execute/subscribe behind useServer).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { DocumentNode, ExecutionArgs, GraphQLError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type Change, handlePublish, listen } from './baseline-common.js';
import { BASELINE_TYPE_DEFS, baselineResolvers } from './baseline-schema.js';

/** The part of graphql-yoga's API used here. */
interface Yoga {
  createPubSub(): {
    publish(topic: string, id: string, payload: Change): void;
    subscribe(topic: string, id: string): AsyncIterable<Change>;
  };
  createSchema(options: { typeDefs: string; resolvers: unknown }): GraphQLSchema;
  createYoga(options: { schema: GraphQLSchema; graphiql: boolean; logging: boolean }): {
    (request: IncomingMessage, response: ServerResponse): unknown;
    readonly graphqlEndpoint: string;
    getEnveloped(initialContext: Record<string, unknown>): {
      schema: GraphQLSchema;
      execute: (args: ExecutionArgs) => unknown;
      subscribe: (args: ExecutionArgs) => unknown;
      contextFactory(): Promise<unknown>;
      parse(source: string): DocumentNode;
      validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
    };
  };
}

// Imported without its typings: they augment graphql's GraphQLErrorExtensions and bring DOM fetch types
// into the whole program (tsconfig includes test/), which would break the type check of src/.
const yogaPackage: string = 'graphql-yoga';
const { createPubSub, createSchema, createYoga } = (await import(yogaPackage)) as Yoga;

const TOPIC = 'notification-changes';
const pubSub = createPubSub();
const publish = (userId: string, change: Change) => pubSub.publish(TOPIC, userId, change);
const yoga = createYoga({
  schema: createSchema({
    typeDefs: BASELINE_TYPE_DEFS,
    resolvers: baselineResolvers({ publish, subscribe: (userId) => pubSub.subscribe(TOPIC, userId) }),
  }),
  graphiql: false,
  logging: false,
});

const server = createServer((request, response) => {
  if (!handlePublish(request, response, publish)) void yoga(request, response);
});

useServer(
  {
    execute: (args: any) => args.rootValue.execute(args),
    subscribe: (args: any) => args.rootValue.subscribe(args),
    onSubscribe: async (ctx, _id, params) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        params,
      });
      const args = {
        schema,
        operationName: params.operationName,
        document: parse(params.query),
        variableValues: params.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      const errors = validate(args.schema, args.document);
      if (errors.length) return [...errors];
      return args;
    },
  },
  new WebSocketServer({ server, path: yoga.graphqlEndpoint }),
);
listen(server, 'yoga');
