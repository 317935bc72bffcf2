import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type SqliteWriterSettings, serveSqliteWrites } from '../../src/store/sqlite-write-protocol.js';

// The SQLite writer's worker thread as the store runs it, which a test can stop in the middle of a
// batch's transaction (just before the batch logs its changes), through files beside the database:
// `.die` (removed when met): the thread ends there, as a crash of the worker would end it;
// `.hold`: the thread writes `.reached` and waits there until the test removes `.hold`;
// `.slow-start`: the thread writes `.starting` and waits, before it opens its connection, until the test
// removes `.slow-start`.
const settings = workerData as SqliteWriterSettings;
const die = `${settings.path}.die`;
const hold = `${settings.path}.hold`;
const slowStart = `${settings.path}.slow-start`;
const pause = new Int32Array(new SharedArrayBuffer(4));

if (existsSync(slowStart)) writeFileSync(`${settings.path}.starting`, '');
while (existsSync(slowStart)) Atomics.wait(pause, 0, 0, 5);

serveSqliteWrites(parentPort as MessagePort, settings, (sql) => {
  if (!sql.startsWith('INSERT INTO "Change"')) return;
  if (existsSync(die)) {
    unlinkSync(die);
    process.exit(1);
  }
  if (existsSync(hold)) {
    writeFileSync(`${settings.path}.reached`, '');
    // The test's condition, polled: the thread must block here, inside its transaction.
    while (existsSync(hold)) Atomics.wait(pause, 0, 0, 5);
  }
});
