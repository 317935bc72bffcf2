// Preloaded (node --import) into every server under test, Tidings included, so that each one reports its
// own CPU time at µs resolution (process.cpuUsage: every thread, unlike a 10 ms /proc tick) and can be
// asked to collect garbage before its memory is read, and its event-loop delay over an interval (the
// soak). It touches nothing else of the server (but with TIDINGS_BENCH_LOOP_TRACE, loop-trace.ts, and
// TIDINGS_BENCH_ALLOCATION_PROFILE, allocation-profile.ts).
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { startAllocationProfile } from './allocation-profile.js';
import { startLoopTrace } from './loop-trace.js';
import type { LoopDelay, MemoryBreakdown, ProbeReply, ProbeRequest } from './probe-messages.js';

// TIDINGS_BENCH_LOOP_TRACE=<dir>: a timeline of what held the event loop (loop-trace.ts).
const loopTraceDir = process.env.TIDINGS_BENCH_LOOP_TRACE;
if (loopTraceDir) startLoopTrace(loopTraceDir);
// TIDINGS_BENCH_ALLOCATION_PROFILE=<dir>: what the server allocated between probes (allocation-profile.ts).
const allocationDir = process.env.TIDINGS_BENCH_ALLOCATION_PROFILE;
const nextAllocationProfile = allocationDir ? startAllocationProfile(allocationDir) : undefined;

const collect = (globalThis as { gc?: (options?: object) => void }).gc;
/**
 * TIDINGS_BENCH_PROBE_GC_FLAVOR=last-resort: collections are V8's memory-reducing kind (as when an
 * allocation fails, compacting fragmented pages), to tell live memory from slack that the heap keeps.
 */
const gcOptions =
  process.env.TIDINGS_BENCH_PROBE_GC_FLAVOR === 'last-resort'
    ? { type: 'major', execution: 'sync', flavor: 'last-resort' }
    : undefined;
const RESOLUTION_MS = 10;
let delays: IntervalHistogram | undefined;
/**
 * TIDINGS_BENCH_PROBE_SNAPSHOTS=<dir>: every collecting probe also writes a heap snapshot there, so that
 * two of them (e.g. idle-memory's before and after the sockets) can be compared in DevTools' Comparison
 * view. Slow and large: for a quick run, not a measured one.
 */
const snapshotDir = process.env.TIDINGS_BENCH_PROBE_SNAPSHOTS;
let snapshots = 0;

function memoryBreakdown(
  heapTotal: number,
  external: number,
  arrayBuffers: number,
  withMappings: boolean,
): MemoryBreakdown {
  const spaces: Record<string, { size: number; used: number }> = {};
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = { size: space.space_size, used: space.space_used_size };
  }
  return { heapTotal, external, arrayBuffers, spaces, ...(withMappings ? { mappings: rssByMapping() } : {}) };
}

/**
 * The process's RSS by mapping (/proc/self/smaps), bytes: anonymous memory (V8's heap pages, malloc's
 * arenas), the brk heap, and each file by name (e.g. a SQLite database's -shm, native modules), so that
 * native memory can be told from the JS heap. Empty where /proc is not there.
 */
function rssByMapping(): Record<string, number> {
  const totals: Record<string, number> = {};
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'latin1');
  } catch {
    return totals;
  }
  let name = 'anon';
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[1] ?? '';
      name = path === '' ? 'anon' : path.startsWith('[') ? path : basename(path);
      continue;
    }
    if (line.startsWith('Rss:')) {
      totals[name] = (totals[name] ?? 0) + Number.parseInt(line.slice(4), 10) * 1024;
    }
  }
  return totals;
}

/**
 * The delay since the last call, then reset; the first call starts the monitor (it is a timer). The
 * histogram holds the time between the monitor's timer firings (an idle loop reads 10.0–10.2 ms at a
 * 10 ms resolution; a 50 ms block, ≈ 53 ms), so the resolution is taken off: what is left is the delay.
 */
function loopDelay(): LoopDelay {
  if (!delays) {
    delays = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    delays.enable();
    return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 };
  }
  const samples = delays.count;
  const delayMs = (ns: number) => (samples > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
  const reading = {
    p50Ms: delayMs(delays.percentile(50)),
    p99Ms: delayMs(delays.percentile(99)),
    maxMs: delayMs(delays.max),
    samples,
  };
  delays.reset();
  return reading;
}

if (process.send) {
  process.on('message', (message: ProbeRequest) => {
    if (message?.type !== 'probe') return;
    nextAllocationProfile?.();
    // Twice: the first collection's finalizers free more for the second.
    if (message.gc && collect) {
      collect(gcOptions);
      collect(gcOptions);
      if (snapshotDir) writeHeapSnapshot(join(snapshotDir, `${process.pid}-${++snapshots}.heapsnapshot`));
    }
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const reply: ProbeReply = {
      type: 'probe-reply',
      id: message.id,
      cpuMicros: cpu.user + cpu.system,
      heapUsedBytes: memory.heapUsed,
      // RSS by mapping only for a memory reading (a collecting probe): reading /proc/self/smaps costs the
      // server tens of milliseconds of CPU, which the next CPU reading would count as the work's.
      memory: memoryBreakdown(memory.heapTotal, memory.external, memory.arrayBuffers, message.gc === true),
      collected: message.gc && collect !== undefined,
      ...(message.loopDelay ? { loopDelay: loopDelay() } : {}),
    };
    process.send?.(reply);
  });
  // The bench runner is gone (killed without its cleanup): do not outlive it.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
