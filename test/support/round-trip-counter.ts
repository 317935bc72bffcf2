import { connect, createServer, type Socket } from 'node:net';
import { onCleanup } from './cleanup.js';

export interface RoundTripCounter {
  readonly port: number;
  /**
   * Runs `work` holding back every answer of PostgreSQL until all it was sent is answered, then lets
   * those answers through at once: how many times that happened before `work` settled is the number of
   * round trips it waited for. A connection's start-up is not counted as a statement.
   */
  count(work: () => Promise<unknown>): Promise<number>;
}

/** Walks PostgreSQL protocol messages (a type byte, then a length that counts itself) across chunks. */
function messageTypes(onType: (type: string) => void, startsUntyped: boolean) {
  let pending = Buffer.alloc(0);
  let untyped = startsUntyped;
  return (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const header = untyped ? 4 : 5;
      if (pending.length < header) return;
      const length = pending.readUInt32BE(untyped ? 0 : 1) + (untyped ? 0 : 1);
      if (pending.length < length) return;
      if (!untyped) onType(String.fromCharCode(pending[0] as number));
      untyped = false;
      pending = pending.subarray(length);
    }
  };
}

/**
 * A TCP proxy in front of PostgreSQL that counts round trips: a statement the client sends ends with a
 * Sync (extended protocol) or is a simple Query, and each is answered by one ReadyForQuery. While
 * counting, the answers are held until every statement sent so far has its ReadyForQuery, so a client
 * that sends statements without waiting (a pipeline) is seen sending them all in one round trip. The
 * client runs in this process: what it writes in one turn of the event loop is all read by the proxy
 * before any answer to it is, so a pipeline is never split into two round trips by timing.
 */
export async function startRoundTripCounter(
  targetHost: string,
  targetPort: number,
): Promise<RoundTripCounter> {
  let sent = 0;
  let answered = 0;
  let counting = false;
  const held: Array<() => void> = [];
  let changed: () => void = () => {};
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // The startup message has no type byte; its answer ends with a ReadyForQuery of no statement's.
    let startup = true;
    const fromClient = messageTypes((type) => {
      if (counting && (type === 'S' || type === 'Q')) sent += 1;
    }, true);
    const fromServer = messageTypes((type) => {
      if (type !== 'Z') return;
      if (startup) startup = false;
      else if (counting) answered += 1;
    }, false);
    client.on('data', (chunk: Buffer) => {
      fromClient(chunk);
      upstream.write(chunk);
      changed();
    });
    upstream.on('data', (chunk: Buffer) => {
      fromServer(chunk);
      if (counting) held.push(() => client.write(chunk));
      else client.write(chunk);
      changed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    async count(work) {
      sent = 0;
      answered = 0;
      counting = true;
      let settled = false;
      const done = work().finally(() => {
        settled = true;
        changed();
      });
      done.catch(() => {});
      let roundTrips = 0;
      try {
        for (;;) {
          // Woken by every chunk either way and by the work's end; no timer.
          await new Promise<void>((resolve) => {
            changed = resolve;
            if (settled || (sent > 0 && answered === sent && held.length > 0)) resolve();
          });
          if (settled) break;
          if (sent > 0 && answered === sent && held.length > 0) {
            roundTrips += 1;
            for (const release of held.splice(0)) release();
          }
        }
      } finally {
        counting = false;
        changed = () => {};
        for (const release of held.splice(0)) release();
      }
      await done;
      return roundTrips;
    },
  };
}
