import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postJson } from '../lib/http-client.js';
import { KEY, TARGET } from '../lib/http-template.js';
import type { SocketSpec } from '../lib/load-messages.js';
import { NOTIFICATION_BODY, NOTIFICATION_TITLE } from '../lib/notification.js';
import { onCleanup } from '../lib/processes.js';
import { startServerProcess } from '../lib/server-process.js';
import type { SystemDefinition, SystemId } from './system.js';
import { STORE_VARIABLES } from './tidings.js';

/**
 * A comparison server of test/bench/servers: no auth, so a device is just the user's topic
 * (deviceSubscriptionId = user id) and a trigger is POST /publish. `withStore`: the server keeps Tidings'
 * store (raw-ws-store.ts) in a directory made here, TIDINGS_BENCH_STORE_DIR (removed when the bench ends,
 * whatever happened to the server), with none of the shell's store settings, in production mode as
 * Tidings runs, and no per-user device cap.
 */
export function baselineSystem(
  id: SystemId,
  label: string,
  serverFile: string,
  options: { readonly withStore?: boolean } = {},
): SystemDefinition {
  const entry = fileURLToPath(new URL(`../servers/${serverFile}`, import.meta.url));
  return {
    id,
    label,
    async install(environment) {
      let sequence = 0;
      const env: NodeJS.ProcessEnv = { ...process.env };
      let removeStore = () => {};
      if (options.withStore) {
        const storeDir = mkdtempSync(join(tmpdir(), `${id}-`));
        removeStore = () => rmSync(storeDir, { recursive: true, force: true });
        onCleanup(`remove ${storeDir}`, removeStore);
        for (const name of STORE_VARIABLES) delete env[name];
        Object.assign(env, {
          TIDINGS_BENCH_STORE_DIR: storeDir,
          TIDINGS_MODE: 'production',
          TIDINGS_MAX_DEVICES_PER_USER: '100000',
        });
      }
      Object.assign(env, { PORT: '0', NODE_ENV: 'production' });
      return {
        async start() {
          const server = await startServerProcess({ name: id, entry, env, cpus: environment.cpus });
          const publishUrl = `${server.origin}/publish`;
          const publishBody = JSON.stringify({
            userId: TARGET,
            appNotificationId: KEY,
            title: NOTIFICATION_TITLE,
            body: NOTIFICATION_BODY,
          });
          return {
            pid: server.pid,
            url: server.url,
            wsUrl: server.wsUrl,
            probe: server.probe,
            output: server.output,
            stop: server.stop,
            async devices(users, perUser) {
              return users.flatMap((user) =>
                Array.from(
                  { length: perUser },
                  (): SocketSpec => ({ deviceSubscriptionId: user, connectionParams: {} }),
                ),
              );
            },
            async trigger(user) {
              const { status } = await postJson(publishUrl, {
                userId: user,
                appNotificationId: `bench-${++sequence}`,
                title: NOTIFICATION_TITLE,
                body: NOTIFICATION_BODY,
              });
              if (status !== 200) throw new Error(`${id}: /publish answered ${status}`);
            },
            triggerRequest: { url: publishUrl, headers: {}, body: publishBody },
            // The raw ws servers have no GraphQL over HTTP.
            ...(id.startsWith('raw-ws')
              ? {}
              : {
                  trivialRequest: {
                    url: server.url,
                    headers: {},
                    body: JSON.stringify({ query: '{ ping }' }),
                  },
                }),
          };
        },
        async dispose() {
          removeStore();
        },
      };
    },
  };
}
