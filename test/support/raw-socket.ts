import WebSocket from 'ws';
import { onCleanup } from './cleanup.js';

/**
 * A raw graphql-transport-ws socket that sends `connection_init` with `token`: resolves with the socket
 * and 'ack' once acknowledged, or the close code if the gateway closes it first.
 */
export function initSocket(
  wsUrl: string,
  token: string,
): Promise<{ socket: WebSocket; outcome: 'ack' | number }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  onCleanup(() => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve({ socket, outcome: 'ack' });
    });
    socket.on('close', (code) => resolve({ socket, outcome: code }));
    socket.on('error', reject);
  });
}

/** A message as the gateway sent it: its text, byte for byte, and what it parses to. */
export interface SocketMessage {
  readonly text: string;
  readonly message: any;
}

export interface SocketMessages {
  /** Every message received since `socketMessages` was called, in order. */
  readonly received: readonly SocketMessage[];
  /** The first message received (so far or later) that matches; fails after `timeoutMs`. */
  waitFor(match: (message: SocketMessage['message']) => boolean, timeoutMs?: number): Promise<SocketMessage>;
  /**
   * Sends a graphql-ws `ping` and waits for its `pong`. The gateway handles a socket's messages in order
   * and a socket delivers in order: whatever the gateway sent on this socket before it handled the ping
   * has arrived once the pong has (a marker for "nothing else came").
   */
  roundTrip(timeoutMs?: number): Promise<void>;
}

/** Records every message `socket` receives from now on, so a test can wait for one without missing any. */
export function socketMessages(socket: WebSocket): SocketMessages {
  const received: SocketMessage[] = [];
  const wakes = new Set<() => void>();
  socket.on('message', (data) => {
    const text = String(data);
    received.push({ text, message: JSON.parse(text) });
    for (const wake of wakes) wake();
  });
  function waitFor(match: (message: SocketMessage['message']) => boolean, timeoutMs = 5000) {
    return new Promise<SocketMessage>((resolve, reject) => {
      const wake = () => {
        const found = received.find((entry) => match(entry.message));
        if (!found) return;
        finish();
        resolve(found);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`No matching message within ${timeoutMs} ms (received ${received.length}).`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        wakes.delete(wake);
      };
      wakes.add(wake);
      wake();
    });
  }
  let pings = 0;
  return {
    received,
    waitFor,
    async roundTrip(timeoutMs) {
      // The payload tells this ping's pong from an earlier one's.
      const payload = { marker: ++pings };
      socket.send(JSON.stringify({ type: 'ping', payload }));
      await waitFor(
        (message) => message.type === 'pong' && message.payload?.marker === payload.marker,
        timeoutMs,
      );
    },
  };
}
