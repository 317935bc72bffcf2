import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type SqliteWriterSettings, serveSqliteWrites } from './sqlite-write-protocol.js';

// The entry of the SQLite writer's worker thread (started by sqlite-write-thread.ts): its connection
// commits, and waits out the fsync, off the gateway's event loop.
serveSqliteWrites(parentPort as MessagePort, workerData as SqliteWriterSettings);
