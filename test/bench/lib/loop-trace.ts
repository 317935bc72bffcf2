// Opt-in (TIDINGS_BENCH_LOOP_TRACE=<dir>, loaded by server-probe.ts): a timeline of what held a server's
// event loop, for the latency scenario's per-post dump (TIDINGS_BENCH_LATENCY_DUMP) to be read beside.
// Every line of <dir>/<pid>.jsonl is one event on the machine's monotonic clock (µs, the clients' clock):
// - `stall`: a 2 ms timer fired late by more than 2 ms; the lateness split by the thread's scheduler
//   counters (/proc/thread-self/schedstat) into time on a CPU (our own work, GC pauses), waiting for a CPU
//   (other processes on the server's CPU) and the rest, blocked (a synchronous fsync, a full pipe);
// - `gc`: a collection's pause (its kind as perf_hooks gives it: 1 minor, 4 major, 8 incremental);
// - `request`: an HTTP request from its `request` event to its response's end, and whether it was its
//   connection's first.
// The timer costs a wake-up every 2 ms and a /proc read each: for finding a tail, not for a measured run.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { Server as HttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const TICK_MS = 2;

export function startLoopTrace(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.jsonl`);
  const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
  // performance.now()'s origin on the monotonic clock, for the GC entries' start times.
  const originMicros = monotonicMicros() - performance.now() * 1000;
  let lines: string[] = [];
  const add = (event: Record<string, unknown>) => lines.push(JSON.stringify(event));
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, `${lines.join('\n')}\n`);
    lines = [];
  };
  /** The thread's time on a CPU and waiting for one, ms. */
  const schedstat = (): [number, number] => {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ');
    return [Number(run) / 1e6, Number(wait) / 1e6];
  };
  const round = (ms: number) => Math.round(ms * 100) / 100;

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      add({
        t: 'gc',
        at: Math.round(originMicros + entry.startTime * 1000),
        ms: round(entry.duration),
        kind,
      });
    }
  }).observe({ entryTypes: ['gc'] });

  let last = monotonicMicros();
  let lastSched = schedstat();
  const tick = () => {
    const now = monotonicMicros();
    const sched = schedstat();
    const intervalMs = (now - last) / 1000;
    const lateMs = intervalMs - TICK_MS;
    if (lateMs > TICK_MS) {
      const cpuMs = sched[0] - lastSched[0];
      const waitMs = sched[1] - lastSched[1];
      add({
        t: 'stall',
        at: last,
        ms: round(lateMs),
        cpu: round(cpuMs),
        runqueue: round(waitMs),
        blocked: round(Math.max(0, intervalMs - TICK_MS - cpuMs - waitMs)),
      });
    }
    last = monotonicMicros();
    lastSched = schedstat();
    setTimeout(tick, TICK_MS).unref();
  };
  setTimeout(tick, TICK_MS).unref();
  setInterval(flush, 1000).unref();
  process.on('exit', flush);

  // Every HTTP server of the process: its requests' own time, stamped where Node hands them over.
  const served = new WeakMap<Socket, number>();
  const emit = HttpServer.prototype.emit;
  HttpServer.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') {
      const [request, response] = args as [IncomingMessage, ServerResponse];
      const at = monotonicMicros();
      const nth = served.get(request.socket) ?? 0;
      served.set(request.socket, nth + 1);
      response.once('finish', () =>
        add({ t: 'request', at, ms: round((monotonicMicros() - at) / 1000), firstOnConnection: nth === 0 }),
      );
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof emit;
}
