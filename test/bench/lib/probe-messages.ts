/** Asks a server's probe (server-probe.ts) for its own figures; `gc` collects garbage first. */
export interface ProbeRequest {
  readonly type: 'probe';
  readonly id: number;
  readonly gc: boolean;
}

export interface ProbeReply {
  readonly type: 'probe-reply';
  readonly id: number;
  /** process.cpuUsage() user + system, µs: every thread of the server process. */
  readonly cpuMicros: number;
  readonly heapUsedBytes: number;
  /** Whether a collection was asked for and could run (the server was started with --expose-gc). */
  readonly collected: boolean;
}
