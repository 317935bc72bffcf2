import WebSocket from 'ws';
import { onCleanup } from './cleanup.js';

export const PROTOCOL = 'graphql-transport-ws';

/**
 * A raw graphql-transport-ws socket that sends `connection_init` with `token`: resolves with the socket
 * and 'ack' once acknowledged, or the close code if the gateway closes it first. With `origin`, it is sent
 * as a browser page of that origin sends it (`Origin`); without, none, as a non-browser client.
 */
export function initSocket(
  wsUrl: string,
  token: string,
  origin?: string,
): Promise<{ socket: WebSocket; outcome: 'ack' | number }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws', origin === undefined ? {} : { origin });
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

/**
 * Opens a graphql-transport-ws socket with the `Origin` a browser page of `origin` sends (none when
 * undefined) and any other `headers`, then closes it: resolves with 101 once it opened, or the HTTP status
 * the upgrade was refused with.
 */
export function upgradeStatus(
  wsUrl: string,
  origin: string | undefined,
  headers: Record<string, string> = {},
): Promise<number> {
  const socket = new WebSocket(wsUrl, PROTOCOL, { headers, ...(origin === undefined ? {} : { origin }) });
  onCleanup(() => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('unexpected-response', (_, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

export interface RawMessage {
  id?: string;
  type: string;
  payload?: any;
}

export interface RawSocket {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  /** Resolves with the close code and reason, from whichever side closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The next message (of `type`, skipping others) not yet taken; fails after `timeoutMs`. */
  message(type?: string, timeoutMs?: number): Promise<RawMessage>;
  send(message: unknown): void;
}

/**
 * A raw socket to the gateway that queues every message it receives, so a test takes them one by one
 * without missing one (for protocol abuse); `protocol` null sends no Sec-WebSocket-Protocol header at all.
 */
export function rawSocket(wsUrl: string, protocol: string | null = PROTOCOL): RawSocket {
  const socket = protocol === null ? new WebSocket(wsUrl) : new WebSocket(wsUrl, protocol);
  onCleanup(() => socket.terminate());
  const queue: RawMessage[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data) => {
    queue.push(JSON.parse(String(data)));
    wake?.();
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      wake?.();
    }),
  );
  return {
    socket,
    opened,
    closed,
    async message(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = queue.findIndex((m) => type === undefined || m.type === type);
        if (index >= 0) return queue.splice(index, 1)[0] as RawMessage;
        const left = deadline - Date.now();
        if (left <= 0 || socket.readyState === WebSocket.CLOSED)
          throw new Error(
            `No ${type ?? 'message'} (state ${socket.readyState}, had ${JSON.stringify(queue)})`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    },
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
  };
}

/** The close code (and reason) within `timeoutMs`, or a failure saying the socket stayed open. */
export async function closeOf(raw: RawSocket, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([raw.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
