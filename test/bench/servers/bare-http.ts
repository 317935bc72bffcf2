// The floor of a GraphQL request over HTTP on Node (request-layers.ts only, not a system of the bench):
// Node's own HTTP server reading the body, parsing it as JSON and answering a fixed JSON result.
import { createServer } from 'node:http';
import { listen } from './baseline-common.js';

const answer = JSON.stringify({ data: { ping: 'pong' } });
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString());
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.end(answer);
  });
});
listen(server, 'bare-http');
