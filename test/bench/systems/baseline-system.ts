import { fileURLToPath } from 'node:url';
import { postJson } from '../lib/http-client.js';
import { KEY, TARGET } from '../lib/http-template.js';
import type { SocketSpec } from '../lib/load-messages.js';
import { NOTIFICATION_BODY, NOTIFICATION_TITLE } from '../lib/notification.js';
import { startServerProcess } from '../lib/server-process.js';
import type { SystemDefinition, SystemId } from './system.js';

/**
 * A comparison server of test/bench/servers: no store and no auth, so a device is just the user's
 * topic (deviceSubscriptionId = user id) and a trigger is POST /publish.
 */
export function baselineSystem(id: SystemId, label: string, serverFile: string): SystemDefinition {
  const entry = fileURLToPath(new URL(`../servers/${serverFile}`, import.meta.url));
  return {
    id,
    label,
    async install(environment) {
      let sequence = 0;
      return {
        async start() {
          const server = await startServerProcess({
            name: id,
            entry,
            env: { ...process.env, PORT: '0', NODE_ENV: 'production' },
            cpus: environment.cpus,
          });
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
        async dispose() {},
      };
    },
  };
}
