import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Env } from '../../src/config/config.js';
import { onCleanup } from './cleanup.js';

export interface ChildGateway {
  readonly child: ChildProcess;
  /** e.g. http://127.0.0.1:1234/graphql */
  readonly url: string;
  readonly wsUrl: string;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, and resolve with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `tidings serve` (our bin, or `bin`: an installed one) as a real child process on a free port,
 * with `env` added to the environment and `args` (more flags) to the command line, and resolves once it
 * prints its URL. `onCpu`: pinned to that one CPU (`taskset -c`), as on a machine with one. Killed when
 * the test file ends.
 */
export async function startChildGateway(
  env: Env,
  dataDir: string,
  args: readonly string[] = [],
  bin = 'bin/tidings.js',
  onCpu?: number,
): Promise<ChildGateway> {
  const serve = [process.execPath, bin, 'serve', '--port', '0', '--data-dir', dataDir, ...args];
  const [command, ...commandArgs] = onCpu === undefined ? serve : ['taskset', '-c', String(onCpu), ...serve];
  const child = spawn(command as string, commandArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  onCleanup(kill);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /listening on (http:\/\/\S+\/graphql)/.exec(output);
    if (match?.[1]) {
      const url = match[1];
      return {
        child,
        url,
        wsUrl: url.replace(/^http/, 'ws'),
        output: () => output,
        kill,
        async stop() {
          child.kill('SIGTERM');
          const [code] = await exited;
          return code as number | null;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${output}`);
    await Promise.race([once(child.stdout ?? child, 'data'), exited]);
  }
}
