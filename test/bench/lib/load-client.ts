// A load client process (forked by load-pool.ts, pinned to the client CPU with the runner): many raw `ws`
// sockets speaking graphql-transport-ws directly, so that the client side costs little per frame. It
// counts `next` frames without parsing them and tells the runner when the expected number has arrived.
import WebSocket from 'ws';
import type { ClientCommand, ClientEvent, SocketSpec } from './load-messages.js';

interface Socket {
  readonly ws: WebSocket;
  frames: number;
}

const NEXT = '"type":"next"';
const sockets: Socket[] = [];
let armed: { id: number; target: number; count: number } | null = null;
let sampled = false;
let closing = false;

const send = (event: ClientEvent) => process.send?.(event);
const fail = (message: string) => send({ type: 'failure', message });

function onFrame(socket: Socket, data: Buffer): void {
  if (data.includes(NEXT)) {
    socket.frames++;
    if (!sampled) {
      sampled = true;
      send({ type: 'sample', frame: data.toString() });
    }
    if (armed && ++armed.count >= armed.target) {
      send({ type: 'reached', id: armed.id });
      armed = null;
    }
    return;
  }
  const message = JSON.parse(data.toString()) as { type: string; payload?: unknown };
  if (message.type === 'ping') socket.ws.send('{"type":"pong"}');
  else if (message.type === 'error' || message.type === 'complete') {
    fail(`subscription ended with ${message.type}: ${JSON.stringify(message.payload ?? null).slice(0, 300)}`);
  }
}

/** A connection that failed before the server said anything about it (e.g. a full accept queue). */
const retryable = (error: Error) => Object.assign(error, { retryable: true });
const RETRIES = 5;

/** Opens a socket, initialises it and subscribes; it is stored at `position` once acknowledged. */
function openOne(wsUrl: string, query: string, spec: SocketSpec, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
    const socket: Socket = { ws, frames: 0 };
    let subscribed = false;
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init', payload: spec.connectionParams }));
    });
    ws.on('message', (data: Buffer) => {
      if (subscribed) return onFrame(socket, data);
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type !== 'connection_ack') return reject(new Error(`expected connection_ack: ${data}`));
      subscribed = true;
      const variables = { deviceSubscriptionId: spec.deviceSubscriptionId, after: null };
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      sockets[position] = socket;
      resolve();
    });
    ws.on('error', (error) =>
      subscribed ? fail(`socket error: ${error.message}`) : reject(retryable(error)),
    );
    ws.on('close', (code, reason) => {
      if (!subscribed) {
        const error = new Error(`closed before connection_ack: ${code} ${reason}`);
        reject(code === 1006 ? retryable(error) : error); // 1006: dropped, not refused by the server
      } else if (!closing) fail(`a socket closed: ${code} ${reason}`);
    });
  });
}

async function open(command: Extract<ClientCommand, { type: 'open' }>): Promise<void> {
  closing = false;
  sampled = false;
  // Kept in the order given: the runner maps counts back to users by position.
  const base = sockets.length;
  let next = 0;
  const worker = async () => {
    while (next < command.sockets.length) {
      const index = next++;
      const spec = command.sockets[index] as SocketSpec;
      // A server busy accepting thousands of sockets may reset a few handshakes: try those again.
      for (let attempt = 1; ; attempt++) {
        try {
          await openOne(command.wsUrl, command.query, spec, base + index);
          break;
        } catch (error) {
          if (!(error as { retryable?: boolean }).retryable || attempt === RETRIES) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.sockets.length) }, worker));
}

/**
 * Opens `command.count` sockets that never send a message; each is left to the server, which should close
 * it when its connection_init timeout passes. Reports every close code once all have closed.
 */
async function openSilent(command: Extract<ClientCommand, { type: 'open-silent' }>): Promise<void> {
  const codes: number[] = [];
  let firstCloseAt = 0;
  const onClose = (code: number) => {
    const now = Date.now();
    if (codes.length === 0) firstCloseAt = now;
    codes.push(code);
    if (codes.length === command.count) {
      send({ type: 'silent-closed', id: command.id, codes, firstCloseAt, lastCloseAt: now });
    }
  };
  const openOneSilent = () =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(command.wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
      ws.once('open', () => {
        ws.once('close', onClose);
        resolve();
      });
      ws.once('error', reject);
      ws.on('message', (data: Buffer) =>
        fail(`a silent socket got a message: ${data.toString().slice(0, 200)}`),
      );
    });
  let next = 0;
  const worker = async () => {
    while (next < command.count) {
      next++;
      for (let attempt = 1; ; attempt++) {
        try {
          await openOneSilent();
          break;
        } catch (error) {
          if (attempt === RETRIES) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker));
}

async function closeAll(): Promise<void> {
  closing = true;
  armed = null;
  const closed = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.ws.readyState === WebSocket.CLOSED) return resolve();
        socket.ws.once('close', () => resolve());
        socket.ws.close(1000);
        // A server that does not answer the close handshake is cut off.
        setTimeout(() => socket.ws.terminate(), 5000).unref();
      }),
  );
  await Promise.all(closed);
  sockets.length = 0;
}

process.on('message', (command: ClientCommand) => {
  switch (command.type) {
    case 'open':
      open(command).then(
        () => send({ type: 'opened', id: command.id }),
        (error: Error) => fail(`could not open sockets: ${error.message}`),
      );
      break;
    case 'open-silent':
      if (command.count === 0) {
        send({ type: 'opened', id: command.id });
        send({ type: 'silent-closed', id: command.id, codes: [], firstCloseAt: 0, lastCloseAt: 0 });
        break;
      }
      openSilent(command).then(
        () => send({ type: 'opened', id: command.id }),
        (error: Error) => fail(`could not open silent sockets: ${error.message}`),
      );
      break;
    case 'arm': {
      const target = command.frames;
      armed = { id: command.id, target, count: 0 };
      send({ type: 'armed', id: command.id });
      if (target === 0) {
        send({ type: 'reached', id: command.id });
        armed = null;
      }
      break;
    }
    case 'counts':
      send({ type: 'counts', id: command.id, counts: sockets.map((socket) => socket.frames) });
      break;
    case 'close':
      void closeAll().then(() => send({ type: 'closed', id: command.id }));
      break;
  }
});
// The runner is gone: do not outlive it.
process.on('disconnect', () => process.exit(0));
