import { connect, createServer, type Server, type Socket } from 'node:net';
import { onCleanup } from './cleanup.js';

export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones, as a crashed or unreachable server would. */
  cut(): Promise<void>;
  /**
   * Keeps every connection open but carries nothing more either way, and holds new ones the same way:
   * a server that hangs (or a network that silently drops packets) rather than one that refuses.
   */
  hang(): void;
  /**
   * Forwards new connections again, but leaves the connections held by `hang` open and silent for good,
   * as a middlebox does that forgot them: half-open, no reset ever reaches either end (not even when the
   * server closes its side). Only the client's own timeout can get rid of them.
   */
  heal(): void;
  /** Accepts and forwards connections again, on the same port; connections held by `hang` are reset. */
  restore(): Promise<void>;
}

/**
 * A TCP proxy on a free loopback port in front of a real service (PostgreSQL, Redis), so a test can
 * make that service vanish for one gateway without stopping it for everyone else on the machine.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  // Connections held by `hang`: they carry nothing, and a close at one end never reaches the other.
  const held = new Set<Socket>();
  let hanging = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      held.delete(socket);
    });
    socket.on('error', () => socket.destroy());
  };
  const hold = (socket: Socket) => {
    held.add(socket);
    socket.pause();
  };
  const makeServer = () =>
    createServer((client) => {
      if (hanging) {
        track(client);
        hold(client);
        return;
      }
      const upstream = connect(targetPort, targetHost);
      const pair = [client, upstream] as const;
      pairs.add(pair);
      client.on('close', () => pairs.delete(pair));
      for (const socket of [client, upstream]) track(socket);
      client.pipe(upstream).pipe(client);
      client.on('close', () => {
        if (!held.has(upstream)) upstream.destroy();
      });
      upstream.on('close', () => {
        if (!held.has(client)) client.destroy();
      });
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
    hang() {
      hanging = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        hold(client);
        hold(upstream);
      }
      pairs.clear();
    },
    heal() {
      hanging = false;
    },
    async restore() {
      if (hanging) {
        hanging = false;
        for (const socket of held) socket.destroy();
      }
      if (open) return;
      server = makeServer();
      await listen(server, port);
      open = true;
    },
  };
}
