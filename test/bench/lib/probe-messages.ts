/** Asks a server's probe (server-probe.ts) for its own figures; `gc` collects garbage first. */
export interface ProbeRequest {
  readonly type: 'probe';
  readonly id: number;
  readonly gc: boolean;
  /**
   * Event-loop delay since the last such request, and reset: the monitor starts on the first one (so a
   * server never asked runs no monitor, e.g. while its idle CPU is measured).
   */
  readonly loopDelay?: boolean;
}

/**
 * Event-loop delay over an interval, ms: how late the probe's 10 ms timer fired
 * (perf_hooks.monitorEventLoopDelay, its resolution taken off).
 */
export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Delays sampled (0 on the first request, which only starts the monitor). */
  readonly samples: number;
}

/**
 * Where a server's memory is (process.memoryUsage and v8.getHeapSpaceStatistics), bytes: what RSS is
 * made of, e.g. a young generation grown to its maximum by a burst of handshakes.
 */
export interface MemoryBreakdown {
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Per V8 heap space (new_space, old_space, code_space, large_object_space, …): size and used. */
  readonly spaces: Readonly<Record<string, { readonly size: number; readonly used: number }>>;
  /** RSS by mapping (/proc/self/smaps): `anon`, `[heap]`, `[stack]`, or a file's name. */
  readonly mappings?: Readonly<Record<string, number>>;
}

export interface ProbeReply {
  readonly type: 'probe-reply';
  readonly id: number;
  /** process.cpuUsage() user + system, µs: every thread of the server process. */
  readonly cpuMicros: number;
  readonly heapUsedBytes: number;
  readonly memory: MemoryBreakdown;
  /** Whether a collection was asked for and could run (the server was started with --expose-gc). */
  readonly collected: boolean;
  /** When asked for: the event-loop delay since the previous request. */
  readonly loopDelay?: LoopDelay;
}
