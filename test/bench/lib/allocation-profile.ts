// TIDINGS_BENCH_ALLOCATION_PROFILE=<dir> (loaded by server-probe.ts): V8's sampling heap profiler runs in
// every server, collected objects included, i.e. everything allocated, not only what survives; each
// probe ends a profile and starts the next, so a profile covers what the server allocated between two
// probes (one measurement of a scenario or of request-layers.ts). Written as `<pid>-<n>.heapprofile`
// (`{ requests, profile }`: HTTP requests that began in the interval, from diagnostics_channel) when
// the interval served at least 100 requests; `node test/bench/allocation-summary.mjs <file>` sums it per
// request by function or module. The profiler costs the server CPU: for finding where bytes go, not for
// a measured run.
import diagnostics from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

// TIDINGS_BENCH_ALLOCATION_SURVIVORS=1: objects a scavenge collected are left out, so a profile holds what
// survived at least one scavenge (promoted, or still in the young generation at the end): what makes a
// scavenge slow, since its cost is what it copies, not what it frees.
const survivorsOnly = process.env.TIDINGS_BENCH_ALLOCATION_SURVIVORS === '1';
const SAMPLING = {
  samplingInterval: 1024,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: !survivorsOnly,
};
const MIN_REQUESTS = 100;

/** Starts profiling; the returned function ends the interval (writing its profile) and starts the next. */
export function startAllocationProfile(dir: string): () => void {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  let requests = 0;
  diagnostics.channel('http.server.request.start').subscribe(() => {
    requests += 1;
  });
  let written = 0;
  const started = post('HeapProfiler.enable').then(() => post('HeapProfiler.startSampling', SAMPLING));
  let turn = started;
  return () => {
    turn = turn.then(async () => {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
      const served = requests;
      // Written before the next interval starts, so that its bytes are not counted in it.
      if (served >= MIN_REQUESTS) {
        written += 1;
        writeFileSync(
          join(dir, `${process.pid}-${written}.heapprofile`),
          JSON.stringify({ requests: served, profile }),
        );
      }
      requests = 0;
      await post('HeapProfiler.startSampling', SAMPLING);
    });
  };
}
