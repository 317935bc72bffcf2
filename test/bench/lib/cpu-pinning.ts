import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Which CPU the server under test runs on, and which one everything else (this runner, the load
 * clients, the triggers) runs on: the server's CPU time is then its own, never shared with the load it
 * answers. TIDINGS_BENCH_SERVER_CPU / TIDINGS_BENCH_CLIENT_CPU override the defaults 0 and 1.
 */
export interface CpuPlan {
  readonly serverCpu: string;
  readonly clientCpu: string;
  /** False when taskset is missing or the machine has one CPU: nothing is pinned (said in the report). */
  readonly pinned: boolean;
}

export function planCpus(env: NodeJS.ProcessEnv = process.env): CpuPlan {
  const serverCpu = env.TIDINGS_BENCH_SERVER_CPU ?? '0';
  const clientCpu = env.TIDINGS_BENCH_CLIENT_CPU ?? '1';
  const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  return { serverCpu, clientCpu, pinned: hasTaskset && availableParallelism() >= 2 };
}

/**
 * Pins this process (every thread it has now; threads and children made later inherit it) to the
 * client CPU, so the load clients forked from it land there too.
 */
export function pinSelf(plan: CpuPlan): void {
  if (!plan.pinned) return;
  const result = spawnSync('taskset', ['-a', '-cp', plan.clientCpu, String(process.pid)], {
    stdio: 'ignore',
  });
  if (result.status !== 0) throw new Error(`taskset could not pin the bench runner to CPU ${plan.clientCpu}`);
}

/** The command line that runs `command args` on the server CPU (taskset execs it: same pid). */
export function onServerCpu(plan: CpuPlan, command: string, args: readonly string[]): [string, string[]] {
  return plan.pinned ? ['taskset', ['-c', plan.serverCpu, command, ...args]] : [command, [...args]];
}
