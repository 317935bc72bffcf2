import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { BATCH_STATEMENT_MARK } from '../../src/store/postgres-batch-statement.js';
import { onCleanup } from '../support/cleanup.js';
import { startGateway } from '../support/gateway.js';
import {
  CREATE_NOTIFICATION,
  createDevice,
  notificationInput,
  postNotification,
} from '../support/operations.js';

const HOST = 'together.example.com';
const POSTS = 40;

/**
 * Sends `requests` (raw HTTP/1.1 texts) from another process so that they all reach this process's
 * gateway at once: the event loop is held busy while they are written. Answers the raw responses.
 */
async function burst(origin: string, requests: readonly string[]): Promise<string[]> {
  const spec = JSON.stringify({ port: Number(new URL(origin).port), requests });
  const client = spawn(process.execPath, ['test/support/burst-client.mjs', spec], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  onCleanup(() => {
    client.kill();
  });
  const lines = createInterface({ input: client.stdout })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  client.stdin.write('go\n');
  const until = performance.now() + 300;
  while (performance.now() < until) {
    // Busy on purpose: the requests pile up in the sockets meanwhile.
  }
  return JSON.parse((await lines.next()).value as string) as string[];
}

// Posts whose requests reach the gateway at the same moment must share commits (group commit), on
// SQLite too, whose synchronous driver would commit each request before Node read the next socket.
// (The client runs in a process of its own: one in the test's process writes its sockets a turn apart.)
describe('concurrent createNotification requests over HTTP', () => {
  it('share transactions: far fewer commits than posts, every post answered CREATED', async () => {
    const statements: string[] = [];
    const gateway = await startGateway({ onStoreQuery: (sql) => statements.push(sql) });
    const app = await gateway.registerApp(HOST);
    const appToken = await app.token();
    const unsid = await createDevice(gateway.url, await gateway.userToken('ann', app.app), 'WEB');
    // One post first, as on a running gateway: the app token is verified and the app row read.
    await postNotification(gateway.url, appToken, notificationInput(unsid, HOST));

    const requests = Array.from({ length: POSTS }, () => {
      const body = JSON.stringify({
        query: CREATE_NOTIFICATION,
        variables: { input: notificationInput(unsid, HOST) },
      });
      return (
        `POST /graphql HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${appToken}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`
      );
    });
    statements.length = 0;
    const answers = await burst(gateway.origin, requests);

    expect(answers).toHaveLength(POSTS);
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain('"outcome":"CREATED"');
    }
    // PostgreSQL commits a batch of posts as one statement, with no COMMIT of its own.
    const commits = statements.filter(
      (sql) => /^\s*COMMIT/i.test(sql) || sql.startsWith(BATCH_STATEMENT_MARK),
    ).length;
    // Before batches started on the event loop's next turn, SQLite committed once per post.
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThanOrEqual(POSTS / 4);
  });
});
