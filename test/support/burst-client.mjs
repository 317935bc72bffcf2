// Sends HTTP requests that reach a server at the same moment, from a process of its own.
// argv[2]: JSON { port, requests: [raw HTTP request text] }. Opens every connection (each answers a
// GET /healthz first), prints "ready",
// waits for a line on stdin, then writes every request in one loop; prints the responses' raw texts as
// a JSON array. The test holds the server's event loop busy between its "go" and the writes arriving,
// so the server finds every request waiting at once, however the two processes are scheduled.
import { connect } from 'node:net';

const { port, requests } = JSON.parse(process.argv[2]);
const sockets = await Promise.all(
  requests.map(
    () =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      }),
  ),
);
// A first request on each connection, answered, proves the server has accepted it (Node accepts one
// pending connection per event-loop turn, so a connection may be open here and not yet there).
await Promise.all(
  sockets.map((socket) => {
    socket.write('GET /healthz HTTP/1.1\r\nHost: burst\r\n\r\n');
    return new Promise((resolve) => socket.once('data', resolve));
  }),
);
const responses = sockets.map(
  (socket) =>
    new Promise((resolve, reject) => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.once('end', () => resolve(text));
      socket.once('error', reject);
    }),
);
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  for (const [i, socket] of sockets.entries()) socket.write(requests[i]);
  process.stdout.write(`${JSON.stringify(await Promise.all(responses))}\n`);
  process.exit(0);
});
