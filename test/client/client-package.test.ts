// The client package as its users get it: packed (npm pack of dist/client, which the build makes from
// src/client), installed from the tarball into a project outside the repository, and there used by a
// plain Node script (ESM, and CommonJS require), type-checked by TypeScript under each module
// resolution, and bundled for a browser page that follows a feed in Chromium.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchForErrors } from '../support/chromium.js';
import { onCleanup } from '../support/cleanup.js';
import { startGateway } from '../support/gateway.js';
import { dataOf } from '../support/graphql-http.js';
import { createDevice, notificationInput, postNotification } from '../support/operations.js';
import {
  installTemporaryProject,
  npmPack,
  type PackedPackage,
  temporaryDirectory,
} from '../support/temporary-project.js';

const run = promisify(execFile);
const HOST = 'package.example.com';
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

let packed: PackedPackage;
/** The consumer project, in the system's temporary directory. */
let project: string;

beforeAll(async () => {
  packed = await npmPack('dist/client', temporaryDirectory('tidings-pack-'));
  // ws: Node 20 has no global WebSocket; @types/node: the Node flavour of the TypeScript check.
  project = await installTemporaryProject({ tarballs: [packed], packages: ['ws', '@types/node'] });
}, 240_000);

/** A gateway, an app, and alice's WEB device; `post` sends her a notification titled `title`. */
async function setup() {
  const t = await startGateway();
  const app = await t.registerApp(HOST);
  const appToken = await app.token();
  const token = await t.userToken('alice', app.app);
  const unsid = await createDevice(t.url, token, 'WEB', 'laptop');
  const post = async (title: string) =>
    dataOf(
      await postNotification(
        t.url,
        appToken,
        notificationInput(unsid, HOST, { payload: { visualContent: { title, body: 'from the test' } } }),
      ),
    );
  return { t, token, unsid, post };
}

/** A Node script run in the consumer project, its output lines parsed as JSON; killed when the file ends. */
function runScript(file: string, args: readonly string[]) {
  const child: ChildProcess = spawn(process.execPath, [file, ...args], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines: unknown[] = [];
  let stderr = '';
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ text: line });
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    lines,
    /** Resolves once a line matches `check`; fails if the script exits or 20 s pass first. */
    async until(check: (line: any) => boolean, description: string): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (!lines.some(check)) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no ${description}; printed ${JSON.stringify(lines)}, stderr: ${stderr}`);
        }
        await Promise.race([once(child.stdout ?? child, 'data'), exited, sleepUntil(deadline)]);
      }
    },
  };
}

/** Resolves at `deadline` at the latest: bounds a wait for an event that may not come. */
const sleepUntil = (deadline: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref());

const write = (name: string, text: string) => writeFileSync(join(project, name), text);

describe('the client package, installed from its tarball', () => {
  it('holds compiled JavaScript, declarations and its manifest, and depends on graphql-ws alone', () => {
    expect(packed.manifest.name).toBe('@tidings/client');
    expect(Object.keys(packed.manifest.dependencies ?? {})).toEqual(['graphql-ws']);
    expect(packed.files).toContain('index.js');
    expect(packed.files).toContain('index.d.ts');
    const unexpected = packed.files.filter(
      (file) => !/^[a-z-]+\.(js|d\.ts)$/.test(file) && !['package.json', 'README.md'].includes(file),
    );
    expect(unexpected).toEqual([]);
    // What a consumer inherits: the package, graphql-ws, and graphql (graphql-ws's peer, types only here).
    const installed = readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(installed.sort()).toEqual(['@tidings', '@types', 'graphql', 'graphql-ws', 'undici-types', 'ws']);
  });

  it('follows a feed from a plain Node ESM script, and loads with require() too', async () => {
    const s = await setup();
    write(
      'follow.mjs',
      `import { createMemoryCursorStore, createTidingsClient, visualContentFor } from '@tidings/client';
import WebSocket from 'ws';

const [url, token, deviceSubscriptionId] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
createTidingsClient({
  url,
  deviceSubscriptionId,
  token: () => token,
  cursorStore: createMemoryCursorStore(),
  webSocketImpl: WebSocket,
  onUpdate(update) {
    if (update.type === 'change') print({ kind: update.kind, title: visualContentFor(update.notification, 'WEB')?.title });
  },
  onStatus: (status) => print({ status: status.state }),
});
`,
    );
    const follower = runScript('follow.mjs', [s.t.url, s.token, s.unsid]);
    await follower.until((line) => line.status === 'live', 'live status');
    await s.post('Hello from Node');
    await follower.until(
      (line) => line.kind === 'CREATED' && line.title === 'Hello from Node',
      'the notification posted',
    );

    write(
      'require.cjs',
      `const client = require('@tidings/client');
console.log(JSON.stringify({ createTidingsClient: typeof client.createTidingsClient, error: typeof client.TidingsClientError }));
`,
    );
    const { stdout } = await run(process.execPath, ['require.cjs'], { cwd: project, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ createTidingsClient: 'function', error: 'function' });
  }, 60_000);

  it('type-checks in TypeScript projects under nodenext, node10 and bundler resolution', async () => {
    // Uses the public API with its types, and misuses it where @ts-expect-error says: were the package's
    // types missing (any), tsc would report those directives as unused.
    const consumer = `import {
  type ClientStatus,
  createDeviceSubscription,
  createMemoryCursorStore,
  createTidingsClient,
  type FeedUpdate,
  type Notification,
  TidingsClientError,
  visualContentFor,
} from '@tidings/client';

export async function follow(url: string, token: string): Promise<string[]> {
  const access = { url, token: () => token };
  const device = await createDeviceSubscription(access, { platform: 'WEB', deviceLabel: 'laptop' });
  const shown = new Map<string, Notification>();
  const client = createTidingsClient({
    ...access,
    deviceSubscriptionId: device.id,
    cursorStore: createMemoryCursorStore(),
    onUpdate(update: FeedUpdate) {
      if (update.type === 'snapshot') for (const n of update.notifications) shown.set(n.id, n);
      else if (update.type === 'removed') shown.delete(update.id);
      else shown.set(update.notification.id, update.notification);
    },
    onStatus(status: ClientStatus) {
      if (status.state === 'failed' && status.error instanceof TidingsClientError) console.log(status.error.code);
    },
  });
  await client.markRead(device.id);
  // @ts-expect-error: not a platform
  await createDeviceSubscription(access, { platform: 'TOASTER', deviceLabel: 'x' });
  // @ts-expect-error: markRead takes an id
  await client.markRead();
  await client.close();
  return [...shown.values()].map((n) => visualContentFor(n, 'WEB')?.title ?? '');
}
`;
    write('consumer.ts', consumer);
    // CommonJS TypeScript, which compiles to require(): Node 20.19+ loads the ESM package that way.
    write(
      'consumer-cjs.cts',
      consumer.replace('export async function follow', 'export async function followCjs'),
    );
    const strict = {
      target: 'ES2022',
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      skipLibCheck: false,
    };
    const projects = {
      // Node, with Node's types and no DOM.
      nodenext: { module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'] },
      // Older projects: no package.json "exports", only "types".
      node10: { module: 'commonjs', moduleResolution: 'node10', lib: ['ES2022', 'DOM'], types: [] },
      // Bundled browser code.
      bundler: { module: 'preserve', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
    };
    for (const [name, options] of Object.entries(projects)) {
      const files = name === 'nodenext' ? ['consumer.ts', 'consumer-cjs.cts'] : ['consumer.ts'];
      write(`tsconfig.${name}.json`, JSON.stringify({ compilerOptions: { ...strict, ...options }, files }));
      const checked = await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], {
        cwd: project,
        timeout: 60_000,
      }).catch((error: { stdout: string }) => ({ stdout: `failed:\n${error.stdout}` }));
      expect(`${name}: ${checked.stdout}`).toBe(`${name}: `);
    }
  }, 120_000);

  it('bundles for a browser without Node built-ins, and follows a feed in Chromium', async () => {
    write(
      'browser.js',
      `import { createMemoryCursorStore, createTidingsClient, visualContentFor } from '@tidings/client';

window.titles = [];
window.statuses = [];
window.followFeed = (url, token, deviceSubscriptionId) => {
  window.client = createTidingsClient({
    url,
    deviceSubscriptionId,
    token: () => token,
    cursorStore: createMemoryCursorStore(),
    onUpdate(update) {
      if (update.type === 'change') window.titles.push(visualContentFor(update.notification, 'WEB')?.title);
    },
    onStatus(status) {
      window.statuses.push(status.state === 'failed' ? \`failed: \${status.error}\` : status.state);
    },
  });
};
`,
    );
    const bundled = await build({
      absWorkingDir: project,
      entryPoints: ['browser.js'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // A Node built-in (node:fs, ws, …) would fail the browser build or stay an external import.
    const inputs = Object.keys(bundled.metafile.inputs);
    const imports = Object.values(bundled.metafile.inputs).flatMap((input) => input.imports);
    expect(imports.filter((used) => used.external)).toEqual([]);
    expect(
      inputs.filter((input) => !/^(browser\.js|node_modules\/(@tidings\/client|graphql-ws)\/)/.test(input)),
    ).toEqual([]);
    const script = bundled.outputFiles[0]?.text ?? '';
    expect(script).not.toMatch(/\brequire\(|["']node:/);

    // The page is served on the gateway's origin, so it needs no CORS, by the browser's request
    // interception; Chromium cannot tell that such a page came from this machine, and its Local Network
    // Access check would then keep it from reaching 127.0.0.1.
    const s = await setup();
    const context = await launchChromium(['--disable-features=LocalNetworkAccessChecks']);
    const page = await context.newPage();
    const errors: string[] = [];
    watchForErrors(page, errors);
    await page.route(`${s.t.origin}/client-package/**`, (route) =>
      route.request().url().endsWith('.js')
        ? route.fulfill({ contentType: 'text/javascript', body: script })
        : route.fulfill({
            contentType: 'text/html',
            body: '<!doctype html><title>client</title><script type="module" src="bundle.js"></script>',
          }),
    );
    await page.goto(`${s.t.origin}/client-package/`);
    await page.waitForFunction(() => 'followFeed' in globalThis);
    await page.evaluate(
      ([url, token, unsid]) => (globalThis as any).followFeed(url, token, unsid),
      [s.t.url, s.token, s.unsid],
    );
    const statuses = () => page.evaluate(() => (globalThis as any).statuses as string[]);
    // The first status past starting and connecting: live, or why not.
    await expect
      .poll(async () => (await statuses()).find((state) => state !== 'starting' && state !== 'connecting'), {
        timeout: 20_000,
      })
      .toBe('live');
    await s.post('Hello from the browser');
    await page.waitForFunction(() => (globalThis as any).titles.includes('Hello from the browser'));
    expect(errors).toEqual([]);
  }, 60_000);
});
