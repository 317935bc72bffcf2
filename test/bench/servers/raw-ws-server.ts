// The raw `ws` servers' shared body: just enough graphql-transport-ws (ack, subscribe, complete, ping) and,
// per published change, the `next` frame serialised once per operation id and sent to each socket of the
// user's topic. No GraphQL execution at all. `beforeDelivery`, when given, runs first (raw-ws-durable.ts:
// the change committed to disk) and the answer and the frames wait for it; what it answers, if anything,
// is called with each socket once its frame is sent. `onSubscribe`, when given, is told of each socket
// that subscribes (raw-ws-store.ts: a device subscription per socket, as Tidings' clients make).
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Change, handlePublish, listen } from './baseline-common.js';

export function serveRawWs(
  name: string,
  beforeDelivery?: (userId: string, change: Change) => Promise<((socket: WebSocket) => void) | undefined>,
  onSubscribe?: (userId: string, socket: WebSocket) => void,
) {
  /** user → its sockets, each with the id of its one operation. */
  const topics = new Map<string, Map<WebSocket, string>>();

  function deliver(userId: string, change: Change, sent?: (socket: WebSocket) => void): void {
    const sockets = topics.get(userId);
    if (!sockets) return;
    const frames = new Map<string, string>();
    for (const [socket, operationId] of sockets) {
      let frame = frames.get(operationId);
      if (frame === undefined) {
        frame = JSON.stringify({
          id: operationId,
          type: 'next',
          payload: { data: { notificationChanges: change } },
        });
        frames.set(operationId, frame);
      }
      socket.send(frame);
      sent?.(socket);
    }
  }

  const publish = beforeDelivery
    ? (userId: string, change: Change) =>
        beforeDelivery(userId, change).then((sent) => deliver(userId, change, sent))
    : (userId: string, change: Change) => deliver(userId, change);
  const server = createServer((request, response) => {
    if (!handlePublish(request, response, publish)) response.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });
  wss.on('connection', (socket) => {
    let user: string | undefined;
    const leave = () => {
      if (user === undefined) return;
      const sockets = topics.get(user);
      sockets?.delete(socket);
      if (sockets?.size === 0) topics.delete(user);
      user = undefined;
    };
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        id?: string;
        payload?: { variables?: { deviceSubscriptionId?: string } };
      };
      switch (message.type) {
        case 'connection_init':
          socket.send('{"type":"connection_ack"}');
          break;
        case 'subscribe': {
          // One subscription a socket: a second one replaces the first.
          leave();
          user = String(message.payload?.variables?.deviceSubscriptionId);
          const sockets = topics.get(user) ?? new Map<WebSocket, string>();
          topics.set(user, sockets);
          sockets.set(socket, String(message.id));
          onSubscribe?.(user, socket);
          break;
        }
        case 'complete':
          leave();
          break;
        case 'ping':
          socket.send('{"type":"pong"}');
          break;
      }
    });
    socket.on('close', leave);
  });
  listen(server, name);
}
