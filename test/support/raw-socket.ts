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
