import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { onCleanup } from './cleanup.js';
import { temporaryDataDir } from './gateway.js';

const run = promisify(execFile);

/** The real bin, by its absolute path: a test may run it from another working directory. */
export const TIDINGS_BIN = fileURLToPath(new URL('../../bin/tidings.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tidings ...` through the real bin (ours, or `options.bin`: an installed one), as a person would,
 * as a child process with `env` added to the environment (in the working directory `options.cwd`, if
 * given); `--data-dir dataDir` is appended unless `dataDir` is null.
 */
export async function tidings(
  args: readonly string[],
  dataDir: string | null,
  env: Record<string, string> = {},
  options: { readonly cwd?: string; readonly bin?: string } = {},
): Promise<CliResult> {
  const { cwd, bin = TIDINGS_BIN } = options;
  const dataDirArgs = dataDir === null ? [] : ['--data-dir', dataDir];
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args, ...dataDirArgs], {
      timeout: 20_000,
      env: { ...process.env, ...env },
      ...(cwd === undefined ? {} : { cwd }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The client id and secret `apps create` and `apps rotate-secret` print. */
export function printedCredentials(stdout: string): { clientId: string; clientSecret: string } {
  return {
    clientId: /client id:\s+(\S+)/.exec(stdout)?.[1] as string,
    clientSecret: /client secret:\s+(\S+)/.exec(stdout)?.[1] as string,
  };
}

/**
 * Runs `tidings ...` in this process through the same runCli that bin/tidings.js runs, capturing what
 * it prints: for the many small cases, where starting a process each (about a second) adds nothing.
 */
export async function tidingsInProcess(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    shutdown: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/**
 * A temporary data directory with a migrated store in it (`tidings migrate`, run in this process), as a
 * gateway's first start leaves it but without its signing key: the commands other than serve and migrate
 * refuse to create a store.
 */
export async function migratedDataDir(): Promise<string> {
  const dataDir = temporaryDataDir();
  const migrated = await tidingsInProcess(['migrate', '--data-dir', dataDir]);
  expect(migrated.stderr).toBe('');
  expect(migrated.code).toBe(0);
  return dataDir;
}

export interface RunningCli {
  /** Every line it printed on stdout so far. */
  readonly lines: string[];
  stderr(): string;
  /** Resolves with the first stdout line that `match` accepts; fails after `timeoutMs` (or at its exit). */
  untilLine(match: (line: string) => boolean, description: string, timeoutMs?: number): Promise<string>;
  /** Resolves once stderr matches; fails after `timeoutMs` (or at its exit). */
  untilStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal and resolves with the exit code (null when the signal killed it). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once it ends by itself. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts a long-running `tidings ...` (e.g. watch) through the real bin as a child process, with `env`
 * added to the environment, reading what it prints as it comes. Killed when the test file ends.
 */
export function startTidings(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [TIDINGS_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  let ended = false;
  void exit.then(() => {
    ended = true;
    notify();
  });

  function until<T>(find: () => T | undefined, description: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail('timed out'), timeoutMs);
      const fail = (why: string) => {
        clearTimeout(timer);
        waiters.delete(check);
        reject(
          new Error(`${why} waiting for ${description}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`),
        );
      };
      const check = () => {
        const found = find();
        if (found !== undefined) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        } else if (ended) fail(`exited (${child.exitCode ?? child.signalCode})`);
      };
      waiters.add(check);
      check();
    });
  }

  return {
    lines,
    stderr: () => stderr,
    untilLine: (match, description, timeoutMs = 20_000) =>
      until(() => lines.find(match), description, timeoutMs),
    untilStderr: (pattern, timeoutMs = 20_000) =>
      until(() => (pattern.test(stderr) ? true : undefined), `stderr ${pattern}`, timeoutMs).then(() => {}),
    async stop(signal) {
      child.kill(signal);
      return exit;
    },
    exited: exit,
  };
}
