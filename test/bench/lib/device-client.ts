// A device client process (forked by device-pool.ts, on the client CPU): devices as raw `ws` sockets
// speaking graphql-transport-ws, like load-client.ts, that also keep what a real client app keeps and
// can come back: each device remembers the cursor of the last change it received, can be closed, and
// can reconnect with `after: <that cursor>`. Optionally it stamps each change's receipt (its
// appNotificationId and the monotonic clock), for latencies. A RESYNC is a failure: a device that resumes
// from its own cursor must never be told to reload.
import WebSocket from 'ws';
import { emit, monotonicMicros, serveCommands } from './client-commands.js';
import type { DeviceOpenCommand } from './device-pool.js';

interface Device {
  readonly ws: WebSocket;
  /** Changes received since the pool started (across reconnects). */
  frames: number;
  cursor: string | null;
  closing: boolean;
}

const devices: Array<Device | undefined> = [];
const cursors: Array<string | null> = [];
const totals: number[] = [];
let stamping = false;
let stamps: Array<[string, number]> = [];
let armed: { token: number; target: number; count: number } | null = null;

const NEXT = '"type":"next"';
const CURSOR = '"cursor":"';
const KEY = '"appNotificationId":"';

/** The string value after `marker` in `text` (JSON without escapes in it, as cursors and keys are). */
function valueAfter(text: string, marker: string): string | null {
  const start = text.indexOf(marker);
  if (start < 0) return null;
  const from = start + marker.length;
  return text.slice(from, text.indexOf('"', from));
}

function onFrame(index: number, device: Device, data: Buffer): void {
  const text = data.toString();
  if (text.includes(NEXT)) {
    const received = monotonicMicros();
    if (text.includes('"kind":"RESYNC"')) {
      emit({ type: 'failure', message: `device ${index} was told to RESYNC: ${text.slice(0, 300)}` });
      return;
    }
    if (text.includes('"errors"')) {
      emit({ type: 'failure', message: `device ${index} got errors: ${text.slice(0, 300)}` });
      return;
    }
    device.frames++;
    totals[index] = (totals[index] ?? 0) + 1;
    const cursor = valueAfter(text, CURSOR);
    if (cursor !== null) {
      device.cursor = cursor;
      cursors[index] = cursor;
    }
    if (stamping) {
      const key = valueAfter(text, KEY);
      if (key !== null) stamps.push([key, received]);
    }
    if (armed && ++armed.count >= armed.target) {
      emit({ type: 'reached', token: armed.token });
      armed = null;
    }
    return;
  }
  const message = JSON.parse(text) as { type: string; payload?: unknown };
  if (message.type === 'ping') device.ws.send('{"type":"pong"}');
  else if (message.type === 'error' || message.type === 'complete') {
    emit({
      type: 'failure',
      message: `device ${index}: subscription ended with ${message.type}: ${JSON.stringify(message.payload ?? null).slice(0, 300)}`,
    });
  }
}

function openOne(command: DeviceOpenCommand, position: number): Promise<void> {
  const { index, spec } = command.devices[position] as DeviceOpenCommand['devices'][number];
  const after = command.resume ? (cursors[index] ?? null) : null;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(command.wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
    const device: Device = { ws, frames: 0, cursor: after, closing: false };
    let subscribed = false;
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init', payload: spec.connectionParams }));
    });
    ws.on('message', (data: Buffer) => {
      if (subscribed) return onFrame(index, device, data);
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type !== 'connection_ack') return reject(new Error(`expected connection_ack: ${data}`));
      subscribed = true;
      const variables = { deviceSubscriptionId: spec.deviceSubscriptionId, after };
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: command.query, variables } }));
      devices[index] = device;
      resolve();
    });
    ws.on('error', (error) =>
      subscribed ? emit({ type: 'failure', message: `device ${index}: ${error.message}` }) : reject(error),
    );
    ws.on('close', (code, reason) => {
      if (!subscribed) reject(new Error(`device ${index} closed before connection_ack: ${code} ${reason}`));
      else if (!device.closing)
        emit({ type: 'failure', message: `device ${index} closed: ${code} ${reason}` });
    });
  });
}

async function open(command: DeviceOpenCommand): Promise<void> {
  stamping = command.stamp;
  let next = 0;
  const worker = async () => {
    while (next < command.devices.length) await openOne(command, next++);
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.devices.length) }, worker));
}

async function closeAll(): Promise<void> {
  armed = null;
  await Promise.all(
    devices.map(
      (device, index) =>
        new Promise<void>((resolve) => {
          devices[index] = undefined;
          if (!device || device.ws.readyState === WebSocket.CLOSED) return resolve();
          device.closing = true;
          device.ws.once('close', () => resolve());
          device.ws.close(1000);
          setTimeout(() => device.ws.terminate(), 5000).unref();
        }),
    ),
  );
}

serveCommands({
  open,
  arm(command: { token: number; frames: number }) {
    armed = { token: command.token, target: command.frames, count: 0 };
    if (command.frames <= 0) {
      armed = null;
      setImmediate(() => emit({ type: 'reached', token: command.token }));
    }
  },
  counts: () => totals.slice(),
  cursors: () => cursors.slice(),
  takeStamps() {
    const taken = stamps;
    stamps = [];
    return taken;
  },
  close: closeAll,
});
