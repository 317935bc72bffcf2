// npm run bench [-- --quick] [--only=fanout,idle-memory] [--rounds=N]
// Runs the scenarios against every system, prints the table, and writes bench-results.json.
import { execSync, spawnSync } from 'node:child_process';
import { availableParallelism, cpus, release } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pinSelf, planCpus } from './lib/cpu-pinning.js';
import { idleWait } from './lib/measure.js';
import { cleanUpEverything, cleanUpOnSignals, onCleanup } from './lib/processes.js';
import { evaluate, formatTable, writeResults } from './report.js';
import { SCENARIOS } from './scenarios/index.js';
import { BenchReport, type ScenarioContext } from './scenarios/scenario.js';
import { SYSTEMS } from './systems/index.js';
import type { BenchEnvironment, Installation, SystemDefinition } from './systems/system.js';

const RESULTS = resolve(import.meta.dirname, '../../bench-results.json');
/** Open files a run needs per process: 10,000 server sockets plus its own files. */
const OPEN_FILES_NEEDED = 12_000;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    `npm run bench -- [--quick] [--only=${[...SCENARIOS.map((s) => s.id), 'web-push'].join(',')}] [--rounds=N]\n` +
      'See test/bench/README.md.\n',
  );
  process.exit(0);
}
const only = values.only?.split(',').map((name) => name.trim());
/** Run after the table's scenarios, as a script of its own: see runWebPushFigures. */
const WEB_PUSH = 'web-push';
const unknown = only?.filter((name) => name !== WEB_PUSH && !SCENARIOS.some((s) => s.id === name)) ?? [];
if (unknown.length) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id)}\n`);
  process.exit(2);
}
const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) {
  process.stderr.write('--rounds takes a whole number ≥ 1\n');
  process.exit(2);
}
const quick = values.quick ?? false;
const QUICK_SYSTEMS = ['raw-ws', 'raw-ws-durable', 'apollo-naive', 'tidings-sqlite-before', 'tidings-sqlite'];
// TIDINGS_BENCH_SYSTEMS narrows the run to these systems (ids, comma-separated), e.g. to compare one
// Tidings before and after beside its reference only; the reference (raw ws) stays: every ratio is to it.
const pickedSystems = process.env.TIDINGS_BENCH_SYSTEMS?.split(',')
  .map((id) => id.trim())
  .filter((id) => id !== '');
const unknownSystems = pickedSystems?.filter((id) => !SYSTEMS.some((s) => s.id === id)) ?? [];
if (unknownSystems.length > 0) {
  process.stderr.write(
    `TIDINGS_BENCH_SYSTEMS: unknown system ${unknownSystems.join(', ')}; known: ${SYSTEMS.map((s) => s.id)}\n`,
  );
  process.exit(2);
}
if (quick) idleWait.capMs = 3000;
const scenarios = SCENARIOS.filter((s) => (only ? only.includes(s.id) : !s.optIn));
// Every run is bounded: past this, everything is stopped and what was measured is still written.
const timeLimitMs = Number(process.env.TIDINGS_BENCH_TIME_LIMIT_S ?? (quick ? 600 : 3600)) * 1000;

const started = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
const cpuPlan = planCpus();
pinSelf(cpuPlan);
// Declared before anything can call `finish` (a signal may come while the first scenario runs).
let finishing: Promise<never> | undefined;
cleanUpOnSignals((code) => finish(code));
// Whatever goes wrong, the processes, directories and schemas the run made are removed.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error) => {
    process.stderr.write(`bench: ${event}: ${(error as Error)?.stack ?? String(error)}\n`);
    void finish(1);
  });
}
raiseOpenFileLimit();

const environment: BenchEnvironment = {
  cpus: cpuPlan,
  postgresUrl: process.env.TIDINGS_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.TIDINGS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  log,
};
const report = new BenchReport();
const installations = new Map<SystemDefinition, Promise<Installation>>();
const context: ScenarioContext = {
  install(system) {
    let installation = installations.get(system);
    if (!installation) {
      installation = system.install(environment);
      installations.set(system, installation);
      // A failed installation is retried by the next scenario rather than kept.
      installation.then(
        (made) => onCleanup(`dispose ${system.id}`, () => made.dispose()),
        () => installations.delete(system),
      );
    }
    return installation;
  },
  quick,
  rounds,
  // A quick run is a smoke run: the ceiling, the naive baseline and Tidings on SQLite only.
  systems: SYSTEMS.filter(
    (s) =>
      (!quick || QUICK_SYSTEMS.includes(s.id)) &&
      (!pickedSystems?.length || s === SYSTEMS[0] || pickedSystems.includes(s.id)),
  ),
  environment,
  report,
};

log(
  `bench ${quick ? 'quick' : 'full'}: ${scenarios.map((s) => s.id).join(', ')}; ` +
    (cpuPlan.pinned
      ? `server on CPU ${cpuPlan.serverCpu}, clients on CPU ${cpuPlan.clientCpu}`
      : 'NOT pinned (taskset missing or one CPU)'),
);
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  log(`time limit of ${timeLimitMs / 1000} s reached: stopping`);
  void finish(1);
}, timeLimitMs);

const exitCode = 0;
try {
  for (const scenario of scenarios) {
    log(`scenario ${scenario.id}: ${scenario.title}`);
    try {
      await scenario.run(context);
    } catch (error) {
      report.failures.push({ scenario: scenario.id, message: (error as Error).stack ?? String(error) });
      log(`scenario ${scenario.id} failed: ${(error as Error).message}`);
    }
  }
  if (!only || only.includes(WEB_PUSH)) runWebPushFigures();
} finally {
  if (!timedOut) await finish(report.failures.length > 0 ? 1 : exitCode);
}

/**
 * Web Push's figures (pushes per second to a push-service stand-in, CPU per push, and posts per second
 * with Web Push off and on): test/bench/web-push.ts, printed as it runs, after the table's scenarios. It
 * measures one gateway in its own process, not the systems side by side, so it is not a table row.
 */
function runWebPushFigures(): void {
  log('web-push: pushes per second, CPU per push, posts/s with Web Push off and on');
  const args = quick ? ['--rounds=1', '--devices=300'] : [`--rounds=${rounds ?? 3}`];
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, 'web-push.ts'), ...args],
    { stdio: 'inherit', timeout: 20 * 60_000 },
  );
  if (result.status !== 0) {
    report.failures.push({ scenario: WEB_PUSH, message: `exit ${result.status ?? result.signal}` });
    log('web-push failed');
  }
}

/** Stops everything, prints the table and writes the JSON: once, whoever asks first (end, time limit, signal). */
function finish(code: number): Promise<never> {
  finishing ??= stopAndReport(code);
  return finishing;
}

async function stopAndReport(code: number): Promise<never> {
  clearTimeout(watchdog);
  await cleanUpEverything();
  const results = evaluate(report);
  const wallSeconds = (Date.now() - started) / 1000;
  writeResults(RESULTS, {
    startedAt: new Date(started).toISOString(),
    wallSeconds,
    mode: quick ? 'quick' : 'full',
    scenarios: scenarios.map((s) => s.id),
    parameters: report.parameters,
    machine: {
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model,
      kernel: release(),
      pinning: cpuPlan,
    },
    systems: SYSTEMS.map((s) => {
      const frame = report.sampleFrames.get(s.id);
      return {
        id: s.id,
        label: s.label,
        sampleFrameBytes: frame ? Buffer.byteLength(frame) : null,
        sampleFrame: frame,
      };
    }),
    figures: results,
    failures: report.failures,
    timedOut,
  });
  process.stdout.write(`${formatTable(results)}\n\n`);
  for (const failure of report.failures) {
    process.stdout.write(
      `FAILED ${failure.scenario}${failure.system ? ` ${failure.system}` : ''}: ${failure.message}\n`,
    );
  }
  process.stdout.write(`wall time ${wallSeconds.toFixed(0)} s; full results in ${RESULTS}\n`);
  process.exit(code);
}

/** Raises this process's soft open-file limit to its hard one (children inherit it) if it is too low. */
function raiseOpenFileLimit(): void {
  const soft = Number(execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim());
  if (soft >= OPEN_FILES_NEEDED) return;
  spawnSync('prlimit', ['--pid', String(process.pid), '--nofile=unlimited:'], { stdio: 'ignore' });
  const hard = Number(execSync('ulimit -Hn', { shell: '/bin/sh', encoding: 'utf8' }).trim());
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:`], { stdio: 'ignore' });
  const now = Number(execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim());
  if (now < OPEN_FILES_NEEDED) {
    log(`warning: ulimit -n is ${now}; 10,000 sockets need ${OPEN_FILES_NEEDED} (raise it: ulimit -n 20000)`);
  }
}
