import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onCleanup } from '../support/cleanup.js';
import { startGateway } from '../support/gateway.js';

/** The extensions the gateway accepted for a client that offers permessage-deflate. */
async function acceptedExtensions(wsUrl: string): Promise<string> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: true });
  onCleanup(() => socket.terminate());
  await once(socket, 'open');
  return socket.extensions;
}

describe('WebSocket compression', () => {
  it('is off unless TIDINGS_WS_COMPRESSION asks for it, even for a client that offers it', async () => {
    const plain = await startGateway();
    expect(await acceptedExtensions(plain.wsUrl)).toBe('');
    const compressing = await startGateway({ env: { TIDINGS_WS_COMPRESSION: 'permessage-deflate' } });
    expect(await acceptedExtensions(compressing.wsUrl)).toContain('permessage-deflate');
  });
});
