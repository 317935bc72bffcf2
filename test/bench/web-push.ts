// npm run bench:web-push [-- --devices=N --rounds=R]; npm run bench runs it after its table too.
// Web Push figures, on SQLite: pushes per second to a local push-service stand-in (a child process that
// answers 201), the gateway's CPU per push (VAPID header cached, aes128gcm encryption, HTTP, store
// claims and outcomes), and the HTTP createNotification rate with Web Push off and on, interleaved in
// rounds, to show that posting does not pay for it. Not a row of `npm run bench`'s table: it runs
// the gateway in this process, where `process.cpuUsage()` is the gateway's own CPU plus this script's
// small loop.
import { spawn } from 'node:child_process';
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { registerApp } from '../../src/auth/register-app.js';
import { loadConfig } from '../../src/config/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '3' } },
});
const DEVICES = Number(values.devices);
const ROUNDS = Number(values.rounds);
const POSTS = 500;
const POSTS_IN_FLIGHT = 8;

/** The stand-in: reads each push and answers 201, in a process of its own. */
const STAND_IN = `
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(201).end());
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));`;

async function startStandIn(): Promise<{ origin: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', STAND_IN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (data) => resolve(String(data).trim())),
  );
  return { origin: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function startBenchGateway(webPush: 'on' | 'off', clock: { now: Date }, intervalMs = 1000) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-bench-push-'));
  const config = loadConfig(
    {
      TIDINGS_WEB_PUSH: webPush,
      TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST: 'on',
      TIDINGS_WEB_PUSH_INTERVAL_MS: String(intervalMs),
      TIDINGS_SWEEP_INTERVAL_MS: '0',
      TIDINGS_APP_MUTATIONS_PER_SECOND: '1000000',
      TIDINGS_APP_MUTATION_BURST: '1000000',
    },
    { port: 0, host: '127.0.0.1', dataDir },
  );
  const gateway = await createGateway(config, { now: () => clock.now });
  const { app } = await registerApp(gateway.services.store, {
    targetHostName: `bench-${randomUUID()}.example.com`,
  });
  const appToken = await gateway.issuer.issueAppToken(app.id, 86_400);
  return {
    gateway,
    app,
    appToken,
    async close() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type BenchGateway = Awaited<ReturnType<typeof startBenchGateway>>;

/** `count` WEB devices, each of its own user, each holding a push subscription to the stand-in. */
async function seedDevices(g: BenchGateway, origin: string, count: number, clock: { now: Date }) {
  const unsids: string[] = [];
  for (let i = 0; i < count; i++) {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const device = await g.gateway.services.store.createDeviceSubscription({
      id: randomBytes(18).toString('base64url'),
      owner: { appId: g.app.id, issuer: g.gateway.issuer.issuer, subject: `user-${i}` },
      platform: 'WEB',
      deviceLabel: 'bench',
      expirationDateTime: new Date(clock.now.getTime() + 86_400_000),
      now: clock.now,
      maxDevices: 100,
      pushSubscription: {
        endpoint: `${origin}/push/${i}`,
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: randomBytes(16).toString('base64url'),
      },
    });
    unsids.push(device.id);
  }
  return unsids;
}

/** Posts one notification to each UNSID over HTTP, POSTS_IN_FLIGHT at a time; resolves with the seconds taken. */
async function postAll(g: BenchGateway, unsids: readonly string[]): Promise<number> {
  const query = `mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { outcome } }`;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: POSTS_IN_FLIGHT }, async () => {
      while (next < unsids.length) {
        const unsid = unsids[next++] as string;
        const response = await fetch(g.gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${g.appToken}` },
          body: JSON.stringify({
            query,
            variables: {
              input: {
                deviceSubscriptionId: unsid,
                appNotificationId: randomUUID(),
                targetHostName: g.app.targetHostName,
                payload: { visualContent: { title: 'Bench', body: 'x'.repeat(150) } },
              },
            },
          }),
        });
        if (!response.ok) throw new Error(`createNotification answered ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Runs push rounds until nothing is due; the wall time, the CPU and how many were pushed. */
async function pushAll(gateway: Gateway) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let pushed = 0;
  for (;;) {
    const report = await gateway.pushOnce();
    pushed += report.pushed;
    if (report.claimed === 0) break;
  }
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuMicros: used.user + used.system, pushed };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const standIn = await startStandIn();
const results = {
  pushesPerSecond: [] as number[],
  cpuMicrosPerPush: [] as number[],
  postsOff: [] as number[],
  postsOn: [] as number[],
};
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Posts per second, Web Push off then on (its timer running as in production), same work.
    for (const mode of ['off', 'on'] as const) {
      const clock = { now: new Date() };
      const g = await startBenchGateway(mode, clock);
      const unsids = await seedDevices(g, standIn.origin, 50, clock);
      const targets = Array.from({ length: POSTS }, (_, i) => unsids[i % unsids.length] as string);
      const seconds = await postAll(g, targets);
      (mode === 'off' ? results.postsOff : results.postsOn).push(POSTS / seconds);
      await g.close();
    }
    // Pushes: DEVICES devices, one due change each, pushed in rounds as fast as they go (by pushOnce:
    // the timer is off, so nothing else claims them).
    const clock = { now: new Date() };
    const g = await startBenchGateway('on', clock, 0);
    const unsids = await seedDevices(g, standIn.origin, DEVICES, clock);
    await postAll(g, unsids);
    clock.now = new Date(clock.now.getTime() + 60_000);
    const { seconds, cpuMicros, pushed } = await pushAll(g.gateway);
    if (pushed !== DEVICES) throw new Error(`pushed ${pushed} of ${DEVICES}`);
    results.pushesPerSecond.push(pushed / seconds);
    results.cpuMicrosPerPush.push(cpuMicros / pushed);
    await g.close();
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
} finally {
  standIn.stop();
}
const show = (values: number[]) =>
  `${median(values).toFixed(0)} (${values.map((v) => v.toFixed(0)).join(', ')})`;
process.stdout.write(
  [
    `Web Push, SQLite, ${DEVICES} devices, ${ROUNDS} rounds: median (each round)`,
    `  pushes per second:            ${show(results.pushesPerSecond)}`,
    `  CPU per push, µs:             ${show(results.cpuMicrosPerPush)}`,
    `  createNotification/s, push off: ${show(results.postsOff)}`,
    `  createNotification/s, push on:  ${show(results.postsOn)}`,
    '',
  ].join('\n'),
);
process.exit(0);
