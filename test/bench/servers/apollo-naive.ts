// System 2, the naive baseline: Apollo Server 5 for HTTP and graphql-ws's own `ws` binding (useServer)
// for subscriptions, an in-memory pub/sub, no persistence. graphql-ws executes the selection for every
// subscriber on every event, as graphql's `subscribe` does.
import { createServer, type IncomingMessage } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type Change, handlePublish, listen } from './baseline-common.js';
import { BASELINE_TYPE_DEFS, baselineResolvers } from './baseline-schema.js';
import { createMemoryPubSub } from './memory-pubsub.js';

const pubsub = createMemoryPubSub<Change>();
const schema = makeExecutableSchema({ typeDefs: BASELINE_TYPE_DEFS, resolvers: baselineResolvers(pubsub) });
const apollo = new ApolloServer({ schema });
await apollo.start();

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

const server = createServer((request, response) => {
  if (handlePublish(request, response, pubsub.publish)) return;
  // Apollo's documented integration API, as Tidings uses it, without a web framework.
  void (async () => {
    const text = request.method === 'POST' ? await readBody(request) : '';
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: request.method ?? 'GET',
        headers,
        search: new URL(request.url ?? '/', 'http://localhost').search,
        body: text ? JSON.parse(text) : undefined,
      },
      context: async () => ({}),
    });
    for (const [key, value] of result.headers) response.setHeader(key, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') return void response.end(result.body.string);
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  })().catch(() => {
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
});
useServer({ schema }, new WebSocketServer({ server, path: '/graphql' }));
listen(server, 'apollo-naive');
