import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/run-cli.js';

const run = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tidings ...` through the real bin (ours, or `bin`: an installed one), as a person would, as a
 * child process with `env` added to the environment; `--data-dir dataDir` is appended unless `dataDir`
 * is null.
 */
export async function tidings(
  args: readonly string[],
  dataDir: string | null,
  env: Record<string, string> = {},
  bin = 'bin/tidings.js',
): Promise<CliResult> {
  const dataDirArgs = dataDir === null ? [] : ['--data-dir', dataDir];
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args, ...dataDirArgs], {
      timeout: 20_000,
      env: { ...process.env, ...env },
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
