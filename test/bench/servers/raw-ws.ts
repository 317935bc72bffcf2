// System 1, the ceiling for Node: a raw `ws` server that speaks just enough graphql-transport-ws (ack,
// subscribe, complete, ping) and, per published change, serialises the `next` frame once per operation id
// and sends it to each socket of the user's topic. No GraphQL execution at all.
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Change, handlePublish, listen } from './baseline-common.js';

/** user → its sockets, each with the id of its one operation. */
const topics = new Map<string, Map<WebSocket, string>>();

function publish(userId: string, change: Change): void {
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
  }
}

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
        user = String(message.payload?.variables?.deviceSubscriptionId);
        const sockets = topics.get(user) ?? new Map<WebSocket, string>();
        topics.set(user, sockets);
        sockets.set(socket, String(message.id));
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
listen(server, 'raw-ws');
