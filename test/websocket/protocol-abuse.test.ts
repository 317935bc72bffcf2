import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { onCleanup } from '../support/cleanup.js';
import { openFeed } from '../support/feed-client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';
import {
  createDevice,
  FEED,
  feedCursor,
  notificationInput,
  postNotification,
} from '../support/operations.js';
import { closeOf, PROTOCOL, type RawSocket, rawSocket } from '../support/raw-socket.js';

// Transport-level abuse of the live feed, with a raw `ws` client speaking graphql-transport-ws by hand:
// each protocol violation must end in the close code graphql-ws documents (PROTOCOL.md), each flood must
// be refused, and after every case the gateway must still deliver to a well-behaved client.

const INIT_TIMEOUT_MS = 1000;
const MAX_PAYLOAD = 100 * 1024; // TIDINGS_MAX_BODY_BYTES's default, also the WebSocket message limit

const SUBSCRIPTION =
  'subscription ($s: ID!, $a: String) { notificationChanges(deviceSubscriptionId: $s, after: $a) { cursor } }';

let t: TestGateway;
let appToken: string;
let host: string;
/** The well-behaved user and device that check, after each case, that delivery still works. */
let alice: string;
let aliceDevice: string;
/** The abusive user (another user, so abuse never takes alice's connection slots). */
let mallory: string;
let malloryDevice: string;

beforeAll(async () => {
  t = await startGateway({ env: { TIDINGS_CONNECTION_INIT_TIMEOUT_MS: String(INIT_TIMEOUT_MS) } });
  host = 'abuse.example.com';
  const app = await t.registerApp(host);
  appToken = await app.token();
  alice = await t.userToken('alice', app.app);
  mallory = await t.userToken('mallory', app.app);
  aliceDevice = await createDevice(t.url, alice, 'WEB');
  malloryDevice = await createDevice(t.url, mallory, 'WEB');
});

// graphql-ws writes to console.error for what it takes for its own bugs ("Please check your
// implementation"): no client, however abusive, may reach that path.
const consoleErrors: unknown[][] = [];
beforeAll(() => {
  const spy = vi.spyOn(console, 'error').mockImplementation((...args) => {
    consoleErrors.push(args);
  });
  onCleanup(() => spy.mockRestore());
});
afterEach(() => {
  const written = consoleErrors.splice(0);
  expect(written.map((args) => args.map(String).join(' '))).toEqual([]);
});

/** connection_init for `token`, then the ack. */
async function initialised(token = mallory): Promise<RawSocket> {
  const raw = rawSocket(t.wsUrl);
  await raw.opened;
  raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  await raw.message('connection_ack');
  return raw;
}

/** A notification posted now reaches a fresh, well-behaved live feed; /healthz answers. */
async function stillServes(): Promise<void> {
  expect((await fetch(`${t.origin}/healthz`)).status).toBe(200);
  const after = await feedCursor(t.url, alice);
  const feed = openFeed(t.wsUrl, alice, { deviceSubscriptionId: aliceDevice, after });
  const posted = dataOf(await postNotification(t.url, appToken, notificationInput(aliceDevice, host)));
  const id = posted.createNotification.notification.id;
  await feed.until((change) => change.notification?.id === id);
  await feed.close();
}

describe('graphql-transport-ws violations close with the documented codes', () => {
  it('4408 when no connection_init comes within the timeout', async () => {
    // Timed from before the handshake: the gateway's timer starts later, when it accepts the socket.
    const started = Date.now();
    const raw = rawSocket(t.wsUrl);
    await raw.opened;
    const { code } = await closeOf(raw, INIT_TIMEOUT_MS + 5000);
    const waited = Date.now() - started;
    expect(code).toBe(4408);
    expect(waited).toBeGreaterThanOrEqual(INIT_TIMEOUT_MS - 2); // timers may round by a millisecond
    // A socket that did initialise in time is not closed by the same timer. The marker: a socket opened
    // after it that never initialises. Its timer was armed later, so once the gateway has closed it with
    // 4408, the patient socket's would have fired too; and a pong comes after whatever the gateway sent
    // the patient socket before it, a close frame included.
    const patient = await initialised();
    const marker = rawSocket(t.wsUrl);
    await marker.opened;
    expect((await closeOf(marker, INIT_TIMEOUT_MS + 5000)).code).toBe(4408);
    patient.send({ type: 'ping' });
    await patient.message('pong');
    expect(patient.socket.readyState).toBe(WebSocket.OPEN);
    patient.socket.close();
    await stillServes();
  });

  it('4429 on a second connection_init, after the ack or while the first is still being checked', async () => {
    const late = await initialised();
    late.send({ type: 'connection_init', payload: { authorization: `Bearer ${mallory}` } });
    expect((await closeOf(late)).code).toBe(4429);

    const eager = rawSocket(t.wsUrl);
    await eager.opened;
    eager.send({ type: 'connection_init', payload: { authorization: `Bearer ${mallory}` } });
    eager.send({ type: 'connection_init', payload: { authorization: `Bearer ${mallory}` } });
    expect((await closeOf(eager)).code).toBe(4429);
    await stillServes();
  });

  it('4401 on a subscribe before connection_ack, with no init or with the init still being checked', async () => {
    const subscribe = {
      id: '1',
      type: 'subscribe',
      payload: { query: SUBSCRIPTION, variables: { s: malloryDevice } },
    };
    const noInit = rawSocket(t.wsUrl);
    await noInit.opened;
    noInit.send(subscribe);
    expect((await closeOf(noInit)).code).toBe(4401);

    // The token is verified asynchronously: a subscribe right behind the init arrives before the ack.
    const hasty = rawSocket(t.wsUrl);
    await hasty.opened;
    hasty.send({ type: 'connection_init', payload: { authorization: `Bearer ${mallory}` } });
    hasty.send(subscribe);
    expect((await closeOf(hasty)).code).toBe(4401);
    await stillServes();
  });

  it('4409 on a second subscribe with the id of an active subscription', async () => {
    const raw = await initialised();
    const subscribe = {
      id: 'same',
      type: 'subscribe',
      payload: { query: SUBSCRIPTION, variables: { s: malloryDevice, a: null } },
    };
    raw.send(subscribe);
    raw.send(subscribe);
    expect(await closeOf(raw)).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });

    // Also when the first is well established (it has delivered a change).
    const established = await initialised();
    const cursor = await feedCursor(t.url, mallory);
    established.send({
      ...subscribe,
      payload: { ...subscribe.payload, variables: { s: malloryDevice, a: cursor } },
    });
    dataOf(await postNotification(t.url, appToken, notificationInput(malloryDevice, host)));
    expect((await established.message('next')).id).toBe('same');
    established.send(subscribe);
    expect((await closeOf(established)).code).toBe(4409);
    await stillServes();
  });

  it("takes ids that name Object.prototype's members as any other id: no 4409, each is served", async () => {
    const raw = await initialised();
    const cursor = await feedCursor(t.url, mallory);
    const ids = ['toString', '__proto__', 'constructor', 'hasOwnProperty', '1'];
    for (const id of ids) {
      raw.send({
        id,
        type: 'subscribe',
        payload: { query: SUBSCRIPTION, variables: { s: malloryDevice, a: cursor } },
      });
    }
    dataOf(await postNotification(t.url, appToken, notificationInput(malloryDevice, host)));
    const served = new Set<string | undefined>();
    while (served.size < ids.length) served.add((await raw.message('next')).id);
    expect([...served].sort()).toEqual([...ids].sort());
    raw.socket.close();
    await raw.closed;
    await stillServes();
  });

  describe('4400 on a bad message', () => {
    const bad: Array<[string, (raw: RawSocket) => void, boolean]> = [
      ['text that is not JSON', (raw) => raw.send('{"type": "connection_init"'), false],
      ['JSON that is not an object', (raw) => raw.send('[1, 2, 3]'), false],
      ['a message with no type', (raw) => raw.send({ payload: {} }), false],
      ['JSON of an unknown type', (raw) => raw.send({ type: 'start', id: '1', payload: {} }), false],
      [
        'connection_init with a payload that is not an object',
        (raw) => raw.send({ type: 'connection_init', payload: 'x' }),
        false,
      ],
      ['subscribe with no payload', (raw) => raw.send({ id: '1', type: 'subscribe' }), true],
      [
        'subscribe with no id',
        (raw) => raw.send({ type: 'subscribe', payload: { query: SUBSCRIPTION } }),
        true,
      ],
      [
        'subscribe with an empty id',
        (raw) => raw.send({ id: '', type: 'subscribe', payload: { query: SUBSCRIPTION } }),
        true,
      ],
      [
        'subscribe with no query',
        (raw) => raw.send({ id: '1', type: 'subscribe', payload: { variables: {} } }),
        true,
      ],
      ['complete with no id', (raw) => raw.send({ type: 'complete' }), true],
      // Server-to-client types are not messages a client may send.
      ['a connection_ack from the client', (raw) => raw.send({ type: 'connection_ack' }), true],
      ['a next from the client', (raw) => raw.send({ id: '1', type: 'next', payload: { data: {} } }), true],
      [
        'an error from the client',
        (raw) => raw.send({ id: '1', type: 'error', payload: [{ message: 'x' }] }),
        true,
      ],
      ['a binary frame that is not JSON', (raw) => raw.socket.send(randomBytes(64), { binary: true }), false],
      // The protocol's messages are stringified JSON, i.e. text frames: a binary one is not a message.
      [
        'a binary frame, even of a well-formed connection_init',
        (raw) =>
          raw.socket.send(
            Buffer.from(
              JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${mallory}` } }),
            ),
            { binary: true },
          ),
        false,
      ],
    ];
    it.each(bad)('%s', async (_, send, afterAck) => {
      const raw = afterAck ? await initialised() : rawSocket(t.wsUrl);
      await raw.opened;
      send(raw);
      expect((await closeOf(raw)).code).toBe(4400);
    });
    it('and then still serves', stillServes);
  });

  it('1007 (from ws) on a text frame that is not UTF-8', async () => {
    const raw = rawSocket(t.wsUrl);
    await raw.opened;
    raw.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await closeOf(raw)).code).toBe(1007);
    await stillServes();
  });

  describe('4406 without the graphql-transport-ws subprotocol', () => {
    it('when none is offered', async () => {
      const raw = rawSocket(t.wsUrl, null);
      await raw.opened;
      expect(await closeOf(raw)).toEqual({ code: 4406, reason: 'Subprotocol not acceptable' });
    });

    it('when only others are offered (the handshake selects none, then the socket is closed)', async () => {
      // A `ws` client that offered a subprotocol aborts a handshake that selects none, before any close
      // frame: speak the handshake by hand to see what the gateway does.
      for (const offered of ['graphql-ws', 'graphql-transport-ws-2, chat']) {
        const answer = await handshake(t.origin, { 'sec-websocket-protocol': offered });
        expect(answer.status).toBe(101);
        expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
        expect(answer.close).toEqual({ code: 4406, reason: 'Subprotocol not acceptable' });
      }
    });

    it('and then still serves', stillServes);
  });

  it('1009 on a message larger than the limit, sent in one frame', async () => {
    const raw = await initialised();
    const big = JSON.stringify({ type: 'ping', payload: { pad: 'x'.repeat(MAX_PAYLOAD) } });
    expect(big.length).toBeGreaterThan(MAX_PAYLOAD);
    raw.send(big);
    expect((await closeOf(raw)).code).toBe(1009);
    // Right at the limit is still a message (answered with a pong).
    const atLimit = await initialised();
    const prefix = '{"type":"ping","payload":{"pad":"';
    const suffix = '"}}';
    atLimit.send(`${prefix}${'x'.repeat(MAX_PAYLOAD - prefix.length - suffix.length)}${suffix}`);
    expect((await atLimit.message('pong')).payload.pad).toHaveLength(
      MAX_PAYLOAD - prefix.length - suffix.length,
    );
    atLimit.socket.close();
    await stillServes();
  });
});

describe('floods the process survives', () => {
  it('refuses an upgrade request with a header flood past maxHeaderSize, then serves HTTP and WebSocket', async () => {
    const { port } = new URL(t.origin);
    const flood = [
      'GET /graphql HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: ${PROTOCOL}`,
      // 2,000 headers of 40 bytes: about 80 KB, five times Node's 16 KB maxHeaderSize.
      ...Array.from({ length: 2000 }, (_, i) => `X-Flood-${String(i).padStart(4, '0')}: ${'f'.repeat(24)}`),
      '',
      '',
    ].join('\r\n');
    expect(flood.length).toBeGreaterThan(4 * 16 * 1024);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tcpConnect(Number(port), '127.0.0.1');
      onCleanup(() => {
        socket.destroy();
      });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      // The server may reset the connection while the flood is still being written.
      socket.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNRESET' || error.code === 'EPIPE'
          ? resolve(String(Buffer.concat(chunks)))
          : reject(error),
      );
      socket.on('close', () => resolve(String(Buffer.concat(chunks))));
      socket.setTimeout(5000, () => reject(new Error('the server neither answered nor closed')));
      socket.end(flood);
    });
    // Refused: 431, or the connection closed with nothing; never 101.
    if (answer !== '') expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(answer).not.toContain('101 Switching Protocols');

    const query = await graphql<{ notifications: { feedCursor: string } }>(t.url, FEED, { first: 1 }, alice);
    expect(query.status).toBe(200);
    expect(dataOf(query).notifications.feedCursor).toEqual(expect.any(String));
    (await initialised()).socket.close();
    await stillServes();
  });

  it("reassembles a message of 16,000 one-byte fragments (under ws's limit of 16,384)", async () => {
    const bystander = await bystanderFeed();
    const raw = await initialised();
    const message = pingOfLength(16_000);
    const started = Date.now();
    for (let i = 0; i < message.length; i++)
      raw.socket.send(message.charAt(i), { fin: i === message.length - 1 });
    expect(await raw.message('pong', 20_000)).toEqual({ type: 'pong', payload: JSON.parse(message).payload });
    timings.reassembled16kFragmentsMs = Date.now() - started;
    raw.socket.close();
    await bystander.receivesNext();
    await stillServes();
  });

  it("closes with 1008 a message of 20,000 one-byte fragments, past ws's 16,384 fragments", async () => {
    const bystander = await bystanderFeed();
    const raw = await initialised();
    const message = pingOfLength(20_000);
    const started = Date.now();
    for (let i = 0; i < message.length; i++)
      raw.socket.send(message.charAt(i), { fin: i === message.length - 1 });
    expect(await closeOf(raw, 20_000)).toEqual({ code: 1008, reason: '' });
    timings.refused20kFragmentsMs = Date.now() - started;
    await bystander.receivesNext();
    await stillServes();
  });

  it('closes with 1009 a fragmented message whose fragments together pass the limit', async () => {
    const bystander = await bystanderFeed();
    const raw = await initialised();
    // Each fragment far under the limit; 120 of 1 KB pass it.
    const fragment = 'x'.repeat(1024);
    raw.socket.send('{"type":"ping","payload":{"pad":"', { fin: false });
    for (let i = 0; i < 120; i++) raw.socket.send(fragment, { fin: false });
    expect((await closeOf(raw)).code).toBe(1009);
    await bystander.receivesNext();
    await stillServes();
  });
});

const timings: Record<string, number> = {};
afterAll(() => {
  console.info(`protocol-abuse timings: ${JSON.stringify(timings)}`);
});

/** A ping message of exactly `length` characters. */
function pingOfLength(length: number): string {
  const empty = JSON.stringify({ type: 'ping', payload: { pad: '' } });
  const message = JSON.stringify({ type: 'ping', payload: { pad: ' '.repeat(length - empty.length) } });
  expect(message).toHaveLength(length);
  return message;
}

/** A well-behaved live feed open through an abuse case; afterwards it must receive a new notification. */
async function bystanderFeed(): Promise<{ receivesNext(): Promise<void> }> {
  const feed = openFeed(t.wsUrl, alice, {
    deviceSubscriptionId: aliceDevice,
    after: await feedCursor(t.url, alice),
  });
  return {
    async receivesNext() {
      const posted = dataOf(await postNotification(t.url, appToken, notificationInput(aliceDevice, host)));
      const id = posted.createNotification.notification.id;
      await feed.until((change) => change.notification?.id === id);
      await feed.close();
    },
  };
}

/**
 * A WebSocket handshake written by hand (a `ws` client refuses an answer without the subprotocol it
 * offered): the status, the answer's headers and, after a 101, the first frame if it is a close.
 */
function handshake(
  origin: string,
  headers: Record<string, string>,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  close?: { code: number; reason: string };
}> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/graphql`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
        ...headers,
      },
    });
    req.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    req.on('upgrade', (response, socket, head) => {
      onCleanup(() => {
        socket.destroy();
      });
      let buffered = head;
      const tryFrame = () => {
        // Server frames are unmasked; a close frame's payload (code + reason) is under 126 bytes.
        if (buffered.length < 2) return;
        const length = (buffered[1] ?? 0) & 0x7f;
        if (buffered.length < 2 + length) return;
        const opcode = (buffered[0] ?? 0) & 0x0f;
        if (opcode !== 0x8) return reject(new Error(`first frame has opcode ${opcode}, not close`));
        socket.destroy();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          close: { code: buffered.readUInt16BE(2), reason: buffered.subarray(4, 2 + length).toString() },
        });
      };
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        tryFrame();
      });
      tryFrame();
    });
    req.on('error', reject);
    req.setTimeout(5000, () => reject(new Error('no answer to the handshake')));
    req.end();
  });
}
