import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { sleep } from './time.js';

// Every process the bench starts, and every other resource (temporary directories, database schemas),
// is registered here, so a failure, a timeout or Ctrl-C still stops and removes all of them.

const children = new Set<ChildProcess>();
const cleanups: Array<{ what: string; release: () => Promise<void> | void }> = [];

/**
 * Tracks a child started with `detached: true` (its own process group, so that group can be killed
 * whole: a server and anything it started).
 */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || hasExited(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal); // not a group leader after all
    } catch {
      // already gone
    }
  }
}

/** SIGTERM to the child's process group; SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  signalGroup(child, 'SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout' as const);
  if ((await Promise.race([exited, timer])) === 'timeout') {
    signalGroup(child, 'SIGKILL');
    await exited;
  }
}

/** Registers a release to run at the end of the run (newest first), whatever happens. */
export function onCleanup(what: string, release: () => Promise<void> | void): void {
  cleanups.push({ what, release });
}

let cleaning: Promise<void> | undefined;

/** Stops every tracked process group, then runs every registered release. Safe to call twice. */
export function cleanUpEverything(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...children].map((child) => stopProcess(child, 3000)));
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      if (!cleanup) break;
      try {
        await cleanup.release();
      } catch (error) {
        process.stderr.write(`bench: cleanup "${cleanup.what}" failed: ${(error as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

/** On Ctrl-C or SIGTERM: stop everything (and `finish`), then exit with the conventional code. */
export function cleanUpOnSignals(finish?: (exitCode: number) => Promise<unknown>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every process it started…\n`);
      const code = signal === 'SIGINT' ? 130 : 143;
      // `finish` stops everything too, then reports what was measured so far.
      void (finish ? finish(code) : cleanUpEverything()).finally(() => process.exit(code));
    });
  }
}
