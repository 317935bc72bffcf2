// Reads the latency scenario's per-post dump (TIDINGS_BENCH_LATENCY_DUMP=<dir>) and, where the servers
// were traced (TIDINGS_BENCH_LOOP_TRACE=<dir>), their timelines, and prints for each measurement where its
// slow posts fell and what held the server's loop meanwhile:
//   node --import tsx test/bench/latency-dump-summary.ts <dump dir> [<trace dir>] [--system=<id>]
// Per measurement: p50/p99/max from due to receipt, the HTTP answer's and the sender's own lateness p99,
// p50/max per tenth of the burst (is the tail at its start, or spread?), and over the burst the server's
// loop stalls ≥ 5 ms summed by cause (on a CPU, waiting for one, blocked), its collections by kind, and
// its requests' own time (first on their connection, or not).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Dump {
  system: string;
  pid: number;
  round: number;
  rate: number;
  dueMicros: number[];
  sentMicros: number[];
  answeredMicros: number[];
  receivedMicros: number[];
}
type TraceEvent =
  | { t: 'stall'; at: number; ms: number; cpu: number; runqueue: number; blocked: number }
  | { t: 'gc'; at: number; ms: number; kind?: number }
  | { t: 'request'; at: number; ms: number; firstOnConnection: boolean };

const [dumpDir, traceDir] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const onlySystem = process.argv.find((arg) => arg.startsWith('--system='))?.slice('--system='.length);
if (!dumpDir) throw new Error('usage: latency-dump-summary.ts <dump dir> [<trace dir>] [--system=<id>]');

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
};
const fixed = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

const traces = new Map<number, TraceEvent[]>();
function traceOf(pid: number): TraceEvent[] {
  let events = traces.get(pid);
  if (events) return events;
  const file = traceDir ? join(traceDir, `${pid}.jsonl`) : '';
  events =
    file && existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as TraceEvent)
      : [];
  traces.set(pid, events);
  return events;
}

for (const name of readdirSync(dumpDir)
  .filter((file) => file.endsWith('.json'))
  .sort()) {
  const dump = JSON.parse(readFileSync(join(dumpDir, name), 'utf8')) as Dump;
  if (onlySystem && dump.system !== onlySystem) continue;
  const n = dump.dueMicros.length;
  const since = (stamps: number[]) => stamps.map((at, i) => (at - (dump.dueMicros[i] as number)) / 1000);
  const latency = since(dump.receivedMicros);
  console.log(
    `${name}: ${n} posts at ${dump.rate}/s, p50 ${fixed(quantile(latency, 0.5))} p99 ${fixed(quantile(latency, 0.99))} ` +
      `max ${fixed(Math.max(...latency))} ms; answered p99 ${fixed(quantile(since(dump.answeredMicros), 0.99))}, ` +
      `sent late p99 ${fixed(quantile(since(dump.sentMicros), 0.99))} ms`,
  );
  const tenth = Math.max(1, Math.floor(n / 10));
  const tenths = Array.from({ length: 10 }, (_, k) => latency.slice(k * tenth, (k + 1) * tenth));
  console.log(
    `  per tenth of the burst, p50/max ms: ${tenths.map((part) => `${fixed(quantile(part, 0.5))}/${fixed(Math.max(...part))}`).join(' ')}`,
  );
  const from = dump.dueMicros[0] as number;
  const to = Math.max(...dump.receivedMicros);
  const events = traceOf(dump.pid).filter((event) => event.at >= from && event.at <= to);
  if (events.length === 0) continue;
  const stalls = events.flatMap((event) => (event.t === 'stall' && event.ms >= 5 ? [event] : []));
  console.log(
    `  loop stalls ≥ 5 ms: ${stalls.length}, ${fixed(sum(stalls.map((s) => s.ms)))} ms late in all: on a CPU ${fixed(sum(stalls.map((s) => s.cpu)))}, ` +
      `waiting for one ${fixed(sum(stalls.map((s) => s.runqueue)))}, blocked ${fixed(sum(stalls.map((s) => s.blocked)))}; longest ${fixed(Math.max(0, ...stalls.map((s) => s.ms)))}`,
  );
  const gcs = events.flatMap((event) => (event.t === 'gc' ? [event] : []));
  const kinds = new Map<string, number[]>();
  for (const gc of gcs) {
    const kind =
      gc.kind === 1 ? 'minor' : gc.kind === 4 ? 'major' : gc.kind === 8 ? 'incremental' : `kind ${gc.kind}`;
    kinds.set(kind, [...(kinds.get(kind) ?? []), gc.ms]);
  }
  console.log(
    `  collections: ${[...kinds].map(([kind, ms]) => `${kind} ${ms.length} (${fixed(sum(ms))} ms, longest ${fixed(Math.max(...ms))})`).join(', ') || 'none'}`,
  );
  const requests = events.flatMap((event) => (event.t === 'request' ? [event] : []));
  for (const first of [true, false]) {
    const ms = requests.filter((r) => r.firstOnConnection === first).map((r) => r.ms);
    if (ms.length === 0) continue;
    console.log(
      `  requests ${first ? 'first on their connection' : 'on a reused connection'}: ${ms.length}, own time p50 ${fixed(quantile(ms, 0.5))} p99 ${fixed(quantile(ms, 0.99))} max ${fixed(Math.max(...ms))} ms`,
    );
  }
}
