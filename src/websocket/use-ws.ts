import type { Server as HttpServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CloseCode, handleProtocols, MessageType, parseMessage } from 'graphql-ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { FeedCloseCode } from '../delivery/close-codes.js';
import { errorFields, type Logger, lazyChild } from '../logger.js';
import type { ClientAddressOf } from '../observability/client-address.js';
import { requestIdOf } from '../observability/request-id.js';
import type { GraphqlWsServer, LiveSocket } from './graphql-ws-server.js';
import { createOriginCheck } from './origin-check.js';

/** Ticks one keep-alive round is spread over. */
const KEEP_ALIVE_SLICES = 20;

export interface UseWsOptions {
  readonly httpServer: HttpServer;
  readonly path: string;
  readonly logger: Logger;
  /** Largest incoming message in bytes. */
  readonly maxPayloadBytes: number;
  /** How often every socket is pinged; one that has not answered the previous ping is cut. */
  readonly keepAliveMs: number;
  /**
   * permessage-deflate for clients that offer it. Off by default: each compressing socket holds zlib
   * state (tens of KiB) and costs CPU per frame, where notification frames are small.
   */
  readonly compression: boolean;
  /** Whether a page of this origin may open a socket (the upgrade's `Origin`; see origin-check.ts). */
  readonly allowsOrigin: (origin: string) => boolean;
  /** The client's address, on every line about its socket (behind trusted proxies, from `X-Forwarded-For`). */
  readonly clientAddress: ClientAddressOf;
}

export interface WebSocketTransport {
  /** Sockets open now (scraped by /metrics). */
  openSockets(): number;
  /** Closes every socket with 1001 (going away) so clients reconnect elsewhere, then stops. */
  close(): Promise<void>;
}

const AS_TEXT = { binary: false } as const;

/** Messages only a server sends: from a client they are invalid messages (4400), not server errors. */
const SERVER_ONLY_TYPES: ReadonlySet<string> = new Set([
  MessageType.ConnectionAck,
  MessageType.Next,
  MessageType.Error,
]);

/** Whether `message` is a well-formed message of a type only the server may send. */
function isServerOnlyMessage(message: unknown): boolean {
  try {
    return SERVER_ONLY_TYPES.has(parseMessage(message).type);
  } catch {
    return false;
  }
}

/**
 * The object JSON.parse makes of a text frame, or the text itself when it is not a JSON object: graphql-ws
 * then parses and refuses it as it would have (a JSON string is not parsed twice).
 */
function parsedOrText(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : text;
  } catch {
    return text;
  }
}

/**
 * Hands a message to graphql-ws; what it throws closes the socket with the code it deserves. Not an async
 * function: a subscribe message's handling lasts as long as its subscription, and a suspended frame of
 * our own per subscription would cost more than this one reaction.
 */
function handleMessage(
  message: unknown,
  handle: (message: unknown) => Promise<void>,
  socket: WebSocket,
  logger: Logger,
): void {
  handle(message).catch((error: unknown) => {
    // graphql-ws throws on a well-formed message it does not handle: a server-only type.
    if (isServerOnlyMessage(message)) {
      socket.close(CloseCode.BadRequest, 'Invalid message received');
      return;
    }
    logger.error('unexpected error', errorFields(error));
    socket.close(CloseCode.InternalServerError, 'Internal server error');
  });
}

/**
 * One `ws` socket as the server sees it. A class: an idle socket holds one, and its methods cost nothing
 * per socket (an object of closures was six of them).
 */
class WsLiveSocket implements LiveSocket {
  constructor(
    private readonly socket: WebSocket,
    private readonly logger: Logger,
  ) {}

  get protocol() {
    return this.socket.protocol;
  }

  isOpen() {
    return this.socket.readyState === this.socket.OPEN;
  }

  send(data: string) {
    const { socket } = this;
    return new Promise<void>((resolve, reject) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  sendBytes(data: Buffer, written: (error?: Error | null) => void) {
    // Bytes would go as a binary message by default: graphql-ws messages are text.
    this.socket.send(data, AS_TEXT, written);
  }

  close(code: number, reason: string) {
    this.socket.close(code, reason);
  }

  onMessage(handle: (message: unknown) => Promise<void>) {
    const { socket, logger } = this;
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        socket.close(CloseCode.BadRequest, 'Binary messages are not supported');
        return;
      }
      // Parsed here: a subscribe message's handling lasts as long as its subscription, and what it is
      // given stays alive with it (the frame's buffer, or its whole text; the parsed message is kept by
      // graphql-ws anyway).
      handleMessage(parsedOrText(String(data)), handle, socket, logger);
    });
  }
}

/**
 * The `ws` library's binding of the GraphQL over WebSocket server, on the HTTP server's port and GraphQL
 * path: graphql-ws's own `use/ws`, with what it lacks for clients that break the protocol. A binary
 * frame is not a message (4400, where the binding would parse it as text); a message of a server-only
 * type is an invalid message (4400, where the binding closes with 4500 and reports a bug of its own);
 * frame-level violations `ws` has already closed the socket for (1009 too big, 1008 too many fragments,
 * 1007 bad UTF-8, 1002) are the client's doing: logged as information, never as an internal error.
 */
export function useWs(server: GraphqlWsServer, options: UseWsOptions): WebSocketTransport {
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: options.maxPayloadBytes,
    // Said explicitly, not left to the library's default.
    perMessageDeflate: options.compression,
    handleProtocols,
    verifyClient: createOriginCheck(options.allowsOrigin, options.logger),
  });
  // Keep-alive: one timer for every socket (a timer and closures per socket cost memory on idle
  // devices). A round pings every open socket and cuts the ones that did not answer their last ping, so a
  // peer that vanished without closing is gone within two rounds. A round is spread over
  // KEEP_ALIVE_SLICES ticks: pinging 10,000 sockets at once held the event loop for 135–330 ms every round
  // (bench soak), and every frame waited behind it.
  const awaitingPong = new Map<WebSocket, number>();
  function answeredPing(this: WebSocket) {
    awaitingPong.delete(this);
  }
  // The round under way: the open sockets' Set iterated in place, not a copy of it, so that a socket that
  // closes during a round (up to a keep-alive interval long) is no longer reachable from the round. A Set's
  // iterator skips what was deleted since it began (a table the Set has outgrown or shrunk out of, kept by
  // the iterator, is let go of at its next step: a tick later); sockets that open during the round come
  // after every older one, and `leftInRound` ends the round once as many sockets as it began with have had
  // their turn. (A copy of the Set kept every socket of the round reachable until the round's end.)
  let round: Iterator<WebSocket> | undefined;
  let leftInRound = 0;
  let perTick = 0;
  // When the round under way began: the next begins a keep-alive interval later. With fewer sockets than
  // slices a round takes fewer ticks, and the wait keeps their pings that far apart (a tick per slice
  // without it pinged one socket every slice: 20 times as often as TIDINGS_KEEP_ALIVE_MS says, waking
  // the gateway and its clients' devices for nothing).
  let roundBeganAt = Number.NEGATIVE_INFINITY;
  const sliceMs = Math.max(1, Math.floor(options.keepAliveMs / KEEP_ALIVE_SLICES));
  // The timer runs only while sockets are open: an idle gateway (no socket) is not woken for nothing.
  // It starts with the first socket and stops at the first tick that finds none.
  let keepAlive: NodeJS.Timeout | undefined;
  function keepAliveTick() {
    keepAlive = undefined;
    if (round === undefined) {
      if (wss.clients.size === 0) return;
      round = wss.clients.values();
      leftInRound = wss.clients.size;
      perTick = Math.ceil(leftInRound / KEEP_ALIVE_SLICES);
      roundBeganAt = performance.now();
    }
    const now = performance.now();
    for (let turns = 0; turns < perTick && leftInRound > 0; turns++) {
      const next = round.next();
      if (next.done) {
        leftInRound = 0;
        break;
      }
      leftInRound--;
      const socket = next.value;
      if (socket.readyState !== socket.OPEN) continue;
      const pingedAt = awaitingPong.get(socket);
      if (pingedAt !== undefined) {
        // Its turn may come early when sockets before it closed: it gets half a round to answer.
        if (now - pingedAt >= options.keepAliveMs / 2) socket.terminate();
        continue;
      }
      awaitingPong.set(socket, now);
      socket.ping();
    }
    if (leftInRound === 0) round = undefined;
    const wait = round !== undefined ? sliceMs : roundBeganAt + options.keepAliveMs - performance.now();
    keepAlive = setTimeout(keepAliveTick, Math.max(sliceMs, wait));
    keepAlive.unref();
  }
  function startKeepAlive() {
    if (keepAlive) return;
    keepAlive = setTimeout(keepAliveTick, sliceMs);
    keepAlive.unref();
  }
  function stopKeepAlive() {
    clearTimeout(keepAlive);
    keepAlive = undefined;
  }

  // `ws` passes on the HTTP server's errors too: a failed listen is its caller's to report (gateway.ts).
  wss.on('error', (error: NodeJS.ErrnoException) => {
    if (error.syscall !== 'listen') options.logger.error('unexpected error', errorFields(error));
  });
  wss.on('connection', (socket, request) => {
    startKeepAlive();
    const bindings = { connectionId: requestIdOf(request), clientAddress: options.clientAddress(request) };
    // The connection's own logger is made only if something logs past the first line (most never do).
    const logger = lazyChild(options.logger, bindings);
    // A socket is a long request: a line when it opens (who) and when it closes (how, after how long).
    const opened = performance.now();
    options.logger.info('websocket opened', bindings);
    socket.on('error', (error: Error & { code?: string }) =>
      logger.info('websocket closed for a protocol violation', {
        reason: error.message,
        code: error.code,
      }),
    );
    socket.on('pong', answeredPing);
    const closed = server.opened(new WsLiveSocket(socket, logger), logger);
    // `on`, not `once`: a socket closes once, and `once` costs a wrapper per socket.
    socket.on('close', (code, reason) => {
      options.logger.info('websocket closed', {
        ...bindings,
        code,
        durationMs: Math.round(performance.now() - opened),
      });
      awaitingPong.delete(socket);
      // The last socket gone (`ws` has dropped it from its Set already): the round has nothing left, and
      // its iterator may hold a table the Set shrank out of (see `round`).
      if (wss.clients.size === 0) round = undefined;
      void closed(code, String(reason));
    });
  });

  return {
    openSockets: () => wss.clients.size,
    close: async () => {
      stopKeepAlive();
      for (const client of wss.clients) client.close(FeedCloseCode.GoingAway, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
