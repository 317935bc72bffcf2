// CPU per request, layer by layer, in one run (not part of `npm run bench`): Node's HTTP alone
// (servers/bare-http.ts), Apollo's `{ ping }` (apollo-naive), and Tidings' `{ __typename }` without a
// token (refused: 401), with the app token, and `createNotification`, for this build and for
// TIDINGS_BENCH_BEFORE's. Closed loop at 32 connections (autocannon in this process, on the client CPU);
// the server's own CPU from its probe, per answered request; medians over the rounds after a warm-up.
//
//   node --import tsx test/bench/request-layers.ts
//   LAYERS=bare,apollo,before,after LAYERS_KINDS=typename-token,create LAYERS_ROUNDS=3 LAYERS_SECONDS=3
//   LAYERS_STORE=sqlite (or postgres)
//
// TIDINGS_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles every server.
import autocannon from 'autocannon';
import { pinSelf, planCpus } from './lib/cpu-pinning.js';
import { fillBody, type HttpRequestTemplate } from './lib/http-template.js';
import { waitForIdle } from './lib/measure.js';
import { median } from './lib/stats.js';
import { baselineSystem } from './systems/baseline-system.js';
import type { BenchEnvironment, Installation, RunningSystem } from './systems/system.js';
import { BEFORE_ROOT, tidingsSystem } from './systems/tidings.js';

const cpus = planCpus();
pinSelf(cpus);
const environment: BenchEnvironment = {
  cpus,
  postgresUrl: process.env.TIDINGS_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.TIDINGS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  log: (message) => process.stderr.write(`${message}\n`),
};
const seconds = Number(process.env.LAYERS_SECONDS ?? 3);
const rounds = Number(process.env.LAYERS_ROUNDS ?? 3);
const layers = (process.env.LAYERS ?? 'bare,apollo,before,after').split(',');
const kinds = process.env.LAYERS_KINDS?.split(',');
const store = process.env.LAYERS_STORE === 'postgres' ? 'postgres' : 'sqlite';

interface Reading {
  readonly rate: number;
  readonly cpuMicros: number;
}

/** One closed-loop measurement: every answer counts (the 401s of the token-less kind too). */
async function measure(
  running: RunningSystem,
  template: HttpRequestTemplate,
  targets: readonly string[],
  keyPrefix: string,
): Promise<Reading> {
  let sent = 0;
  let answered = 0;
  const before = await running.probe();
  const started = performance.now();
  const result = await autocannon({
    url: template.url,
    connections: 32,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...template.headers },
        setupRequest: (request) => ({
          ...request,
          body: fillBody(template.body, targets, keyPrefix, sent++),
        }),
        onResponse: () => {
          answered++;
        },
      },
    ],
  });
  const wallMs = performance.now() - started;
  const after = await running.probe();
  await waitForIdle(running, 10_000);
  if (result.errors + result.timeouts > 0)
    throw new Error(`${result.errors + result.timeouts} requests failed`);
  return { rate: answered / (wallMs / 1000), cpuMicros: (after.cpuMicros - before.cpuMicros) / answered };
}

interface Layer {
  readonly id: string;
  readonly template: HttpRequestTemplate;
  readonly targets: readonly string[];
  readonly running: RunningSystem;
}

const installations: Installation[] = [];
const started: RunningSystem[] = [];
const measured: Layer[] = [];
const wanted = (id: string) => !kinds || kinds.includes(id);
try {
  for (const [name, file] of [
    ['bare', 'bare-http.ts'],
    ['apollo', 'apollo-naive.ts'],
  ] as const) {
    if (!layers.includes(name)) continue;
    const installation = await baselineSystem('apollo-naive', name, file).install(environment);
    installations.push(installation);
    const running = await installation.start();
    started.push(running);
    const { trivialRequest } = running;
    if (trivialRequest) measured.push({ id: `${name}/ping`, template: trivialRequest, targets: [], running });
  }
  for (const [name, root] of [
    ['before', BEFORE_ROOT],
    ['after', undefined],
  ] as const) {
    if (!layers.includes(name) || (name === 'before' && root === undefined)) continue;
    const installation = await tidingsSystem(store, root).install(environment);
    installations.push(installation);
    const running = await installation.start();
    started.push(running);
    const { trivialRequest, triggerRequest } = running;
    if (!trivialRequest || !triggerRequest) continue;
    const users = Array.from({ length: 100 }, (_, i) => `rate-${i}`);
    const targets = (await running.devices(users, 1)).map((spec) => spec.deviceSubscriptionId);
    const tokenless = { ...trivialRequest, headers: {} };
    if (wanted('typename-notoken'))
      measured.push({ id: `${name}/typename-notoken`, template: tokenless, targets: [], running });
    if (wanted('typename-token'))
      measured.push({ id: `${name}/typename-token`, template: trivialRequest, targets: [], running });
    if (wanted('create')) measured.push({ id: `${name}/create`, template: triggerRequest, targets, running });
  }
  const readings = new Map<string, Reading[]>();
  for (let round = 0; round <= rounds; round++) {
    for (const layer of measured) {
      const reading = await measure(layer.running, layer.template, layer.targets, `${layer.id}-${round}-`);
      environment.log(
        `round ${round} ${layer.id}: ${reading.rate.toFixed(0)}/s, ${reading.cpuMicros.toFixed(1)} µs per request`,
      );
      if (round > 0) readings.set(layer.id, [...(readings.get(layer.id) ?? []), reading]);
    }
  }
  for (const [id, list] of readings) {
    const cpu = list.map((r) => r.cpuMicros);
    process.stdout.write(
      `${id.padEnd(26)} ${median(list.map((r) => r.rate))
        .toFixed(0)
        .padStart(
          6,
        )}/s ${median(cpu).toFixed(1).padStart(7)} µs per request [${cpu.map((c) => c.toFixed(0)).join(' ')}]\n`,
    );
  }
} finally {
  for (const running of started) await running.stop();
  for (const installation of installations) await installation.dispose();
}
process.exit(0);
