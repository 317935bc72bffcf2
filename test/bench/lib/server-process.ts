import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CpuPlan, onServerCpu } from './cpu-pinning.js';
import type { LoopDelay, MemoryBreakdown, ProbeReply, ProbeRequest } from './probe-messages.js';
import { procCpuMicros, procRssBytes } from './proc.js';
import { stopProcess, track } from './processes.js';
import { withTimeout } from './time.js';

const PROBE = pathToFileURL(fileURLToPath(new URL('./server-probe.ts', import.meta.url))).href;

/** What a server under test reports about itself at one instant. */
export interface ProbeReading {
  /** The server's own CPU time so far, µs (process.cpuUsage in the server: µs resolution). */
  readonly cpuMicros: number;
  /** The same from /proc/<pid>/stat utime + stime (10 ms ticks), as a cross-check. */
  readonly procCpuMicros: number;
  /** VmRSS from /proc/<pid>/status. */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** The heap's spaces, external memory and array buffers, as the server sees them. */
  readonly memory: MemoryBreakdown;
  /** With `loopDelay`: the event-loop delay since the previous such reading (the first starts it). */
  readonly loopDelay?: LoopDelay;
}

export interface ServerProcess {
  readonly pid: number;
  /** e.g. http://127.0.0.1:1234/graphql */
  readonly url: string;
  readonly wsUrl: string;
  /** e.g. http://127.0.0.1:1234 */
  readonly origin: string;
  /**
   * Reads the server's figures; `gc` collects garbage in it first (it runs with --expose-gc);
   * `loopDelay` adds its event-loop delay since the previous such reading.
   */
  probe(options?: { gc?: boolean; loopDelay?: boolean }): Promise<ProbeReading>;
  /** The last of what it printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  readonly name: string;
  /** The entry point: a .ts file (run through tsx, as the probe is) or a built .js one (Tidings' build). */
  readonly entry: string;
  readonly args?: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cpus: CpuPlan;
  readonly startTimeoutMs?: number;
}

const OUTPUT_KEPT = 20_000;

/**
 * Starts a server under test pinned to the server CPU, in a process group of its own, with the probe
 * preloaded and an IPC channel to it, and resolves once it prints `listening on <url>/graphql`.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const [command, args] = onServerCpu(options.cpus, process.execPath, [
    // Every server runs as Node should on the one CPU it is pinned to: one V8 background thread, not
    // Node's default four, which in each major collection took the CPU from the event loop (Tidings' p99
    // at 1,000 posts/s on SQLite 20–22.5 → 7.6–9.9 ms), as the README's Decisions advise on one CPU.
    '--v8-pool-size=1',
    // e.g. TIDINGS_BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the servers.
    ...(options.env.TIDINGS_BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
    '--expose-gc',
    '--import',
    'tsx',
    '--import',
    PROBE,
    options.entry,
    ...(options.args ?? []),
  ]);
  const child: ChildProcess = track(
    spawn(command, args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: could not start`);
  const exited = once(child, 'exit');
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // e.g. TIDINGS_BENCH_SERVER_OUTPUT=/tmp/out with TIDINGS_BENCH_SERVER_NODE_ARGS='--trace-gc-nvp': every
  // line each server writes, in <dir>/<name>-<pid>.log (only the last OUTPUT_KEPT characters are kept here).
  const outputDir = options.env.TIDINGS_BENCH_SERVER_OUTPUT;
  if (outputDir) {
    mkdirSync(outputDir, { recursive: true });
    const file = createWriteStream(join(outputDir, `${options.name.replace(/\W+/g, '-')}-${pid}.log`));
    // Both into one file, ended once the process has closed both (not by whichever pipe ends first).
    child.stdout?.pipe(file, { end: false });
    child.stderr?.pipe(file, { end: false });
    child.once('close', () => file.end());
  }

  const pending = new Map<number, (reply: ProbeReply) => void>();
  let nextId = 1;
  // A send after the process has gone (e.g. stopped by Ctrl-C while a scenario still probes) must fail
  // that probe, not the runner: without a listener the channel's error would be thrown.
  child.on('error', () => {});
  child.on('message', (reply: ProbeReply) => {
    if (reply?.type === 'probe-reply') pending.get(reply.id)?.(reply);
  });

  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const match = /listening on (http:\/\/\S+\/graphql)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      };
      child.stdout?.on('data', look);
      void exited.then(() => reject(new Error(`${options.name} exited before listening:\n${output}`)));
    }),
    options.startTimeoutMs ?? 60_000,
    `${options.name} start`,
  );

  return {
    pid,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    origin: url.replace(/\/graphql$/, ''),
    async probe({ gc = false, loopDelay = false } = {}) {
      const id = nextId++;
      const reply = await withTimeout(
        new Promise<ProbeReply>((resolve, reject) => {
          if (!child.connected) return reject(new Error(`${options.name} has stopped`));
          pending.set(id, resolve);
          const request: ProbeRequest = { type: 'probe', id, gc, loopDelay };
          child.send(request);
        }),
        // A heap snapshot (TIDINGS_BENCH_PROBE_SNAPSHOTS) of a large heap takes tens of seconds.
        options.env.TIDINGS_BENCH_PROBE_SNAPSHOTS ? 300_000 : 30_000,
        `${options.name} probe`,
      ).finally(() => pending.delete(id));
      if (gc && !reply.collected) throw new Error(`${options.name}: gc is not exposed`);
      return {
        cpuMicros: reply.cpuMicros,
        procCpuMicros: procCpuMicros(pid),
        rssBytes: procRssBytes(pid),
        heapUsedBytes: reply.heapUsedBytes,
        memory: reply.memory,
        ...(reply.loopDelay ? { loopDelay: reply.loopDelay } : {}),
      };
    },
    output: () => output,
    stop: () => stopProcess(child),
  };
}
