// An HTTP load client process (forked by http-load.ts, on the client CPU): posts a request template many
// times, each request with its own body (a target, round robin, and a key of its own), either
//  - closed loop: autocannon with a fixed number of connections, each sending its next request when the
//    previous one is answered, for a duration or a number of requests; or
//  - open loop: at a fixed rate, whether or not earlier requests have been answered (a request waits
//    for a free connection of a bounded keep-alive pool), with each request's intended, sent and
//    answered times on the system-wide monotonic clock, so another process's receipt times compare.
// A request counts as done when it is answered 200 with no `"errors"` in its body.
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { emit, monotonicMicros, serveCommands } from './client-commands.js';
import type { ClosedLoopCommand, ClosedLoopResult, OpenLoopCommand, OpenLoopResult } from './http-load.js';
import { fillBody } from './http-template.js';

const isOk = (status: number, body: string) => status === 200 && !body.includes('"errors"');

async function closedLoop(command: ClosedLoopCommand): Promise<ClosedLoopResult> {
  const { template, targets, keyPrefix } = command;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const result = await autocannon({
    url: template.url,
    connections: command.connections,
    ...(command.amount ? { amount: command.amount } : { duration: command.durationMs / 1000 }),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...template.headers },
        setupRequest: (outgoing) => ({
          ...outgoing,
          body: fillBody(template.body, targets, keyPrefix, sent++),
        }),
        onResponse: (status, body) => {
          if (isOk(status, body)) ok++;
          else {
            failed++;
            firstError ??= `${status} ${String(body).slice(0, 300)}`;
          }
        },
      },
    ],
  });
  const wallMs = performance.now() - started;
  return {
    sent,
    ok,
    failed: failed + result.errors + result.timeouts,
    ...(firstError === undefined ? {} : { firstError }),
    wallMs,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, average: result.latency.average },
  };
}

async function openLoop(command: OpenLoopCommand): Promise<OpenLoopResult> {
  const { template, targets, keyPrefix, count } = command;
  const agent = new Agent({ keepAlive: true, maxSockets: command.maxConnections });
  const url = new URL(template.url);
  const intervalMicros = 1e6 / command.rate;
  // A little ahead, so the first requests are not late already.
  const startMicros = monotonicMicros() + 20_000;
  const sentMicros = new Array<number>(count).fill(0);
  const answeredMicros = new Array<number>(count).fill(0);
  let ok = 0;
  let failed = 0;
  let settled = 0;
  let firstError: string | undefined;
  try {
    await new Promise<void>((resolve) => {
      const done = (i: number, success: boolean, error?: string) => {
        answeredMicros[i] = monotonicMicros();
        if (success) ok++;
        else {
          failed++;
          firstError ??= error;
        }
        if (++settled === count) resolve();
      };
      const send = (i: number) => {
        const payload = Buffer.from(fillBody(template.body, targets, keyPrefix, i));
        sentMicros[i] = monotonicMicros();
        const outgoing = request(
          url,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': payload.length,
              ...template.headers,
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const body = Buffer.concat(chunks).toString();
              const success = isOk(response.statusCode ?? 0, body);
              done(i, success, success ? undefined : `${response.statusCode} ${body.slice(0, 300)}`);
            });
            response.on('error', (error) => done(i, false, error.message));
          },
        );
        outgoing.on('error', (error) => done(i, false, error.message));
        outgoing.end(payload);
      };
      let next = 0;
      const tick = () => {
        const now = monotonicMicros();
        while (next < count && startMicros + next * intervalMicros <= now) send(next++);
        if (next < count) {
          const wait = (startMicros + next * intervalMicros - monotonicMicros()) / 1000;
          setTimeout(tick, Math.max(0, Math.floor(wait)));
        }
      };
      tick();
    });
  } finally {
    agent.destroy();
  }
  return {
    startMicros,
    intervalMicros,
    sentMicros,
    answeredMicros,
    ok,
    failed,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

serveCommands({ closed: closedLoop, open: openLoop });
// Unexpected errors end the measurement rather than the process silently.
process.on('uncaughtException', (error) => emit({ type: 'failure', message: error.stack ?? String(error) }));
