import { connect, createServer, type Server, type Socket } from 'node:net';
import { onCleanup } from './cleanup.js';

export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones, as a crashed or unreachable server would. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
}

/**
 * A TCP proxy on a free loopback port in front of a real service (PostgreSQL, Redis), so a test can
 * make that service vanish for one gateway without stopping it for everyone else on the machine.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const makeServer = () =>
    createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  let server = makeServer();
  const port = await listen(server, 0);
  let open = true;
  const cut = async () => {
    if (!open) return;
    open = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  onCleanup(cut);
  return {
    port,
    cut,
    async restore() {
      if (open) return;
      server = makeServer();
      await listen(server, port);
      open = true;
    },
  };
}
