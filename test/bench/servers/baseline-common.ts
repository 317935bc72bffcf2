// What the comparison servers share: the change they deliver (the shape Tidings' notificationChanges
// yields), the POST /publish control endpoint that triggers one, and how they listen and stop.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Change {
  readonly kind: 'CREATED';
  readonly cursor: string;
  readonly notification: {
    readonly id: string;
    readonly appNotificationId: string;
    readonly priority: 'NONE';
    readonly readState: 'UNREAD';
    readonly status: 'ACTIVE';
    readonly createdDateTime: string;
    readonly payload: { readonly visualContent: { readonly title: string; readonly body: string } };
  };
}

export interface PublishRequest {
  readonly userId: string;
  readonly appNotificationId: string;
  readonly title: string;
  readonly body: string;
}

const EPOCH = randomUUID();
let offset = 0;

/** A new change as Tidings would send it: a cursor like Tidings' (base64url "epoch:offset"), a uuid id. */
export function makeChange(request: PublishRequest): Change {
  offset++;
  return {
    kind: 'CREATED',
    cursor: Buffer.from(`${EPOCH}:${offset}`).toString('base64url'),
    notification: {
      id: randomUUID(),
      appNotificationId: request.appNotificationId,
      priority: 'NONE',
      readState: 'UNREAD',
      status: 'ACTIVE',
      createdDateTime: new Date().toISOString(),
      payload: { visualContent: { title: request.title, body: request.body } },
    },
  };
}

async function readJson(request: IncomingMessage): Promise<PublishRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString()) as PublishRequest;
}

/**
 * Handles POST /publish (the bench's trigger for these servers: one request per notification, as an app
 * service would post to Tidings) and answers true; answers false for any other request.
 */
export function handlePublish(
  request: IncomingMessage,
  response: ServerResponse,
  publish: (userId: string, change: Change) => void | Promise<void>,
): boolean {
  if (request.method !== 'POST' || request.url !== '/publish') return false;
  const answer = () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  readJson(request).then(
    (body) => {
      // Answered once published: at once, or when a publish that stores first has stored.
      const published = publish(body.userId, makeChange(body));
      if (published) published.then(answer, () => response.writeHead(500).end());
      else answer();
    },
    () => response.writeHead(400).end(),
  );
  return true;
}

/** Listens on PORT (0: any free port) and prints the line the bench waits for; exits on SIGTERM. */
export function listen(server: Server, name: string): void {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${name} listening on http://127.0.0.1:${port}/graphql\n`);
  });
  // Nothing to keep: sockets drop with the process.
  process.once('SIGTERM', () => process.exit(0));
  process.once('SIGINT', () => process.exit(0));
}
