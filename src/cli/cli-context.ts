import type { Env } from '../config/config.js';

/** What a CLI command may touch: given by main.ts, replaced by tests. */
export interface CliContext {
  readonly env: Env;
  /** Node's own options, from its command line then NODE_OPTIONS: what serve's banner advises on. */
  readonly nodeOptions?: readonly string[];
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Aborted on SIGINT/SIGTERM: long-running commands (serve) stop gracefully. */
  readonly shutdown: AbortSignal;
  /**
   * Asks the person at the terminal a yes/no question (true: yes). Absent when no one can answer (stdin is
   * not a terminal): a command that needs a confirmation then asks for a flag instead.
   */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** A mistake of the person at the terminal: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command that could not be done for a reason outside the command line (exit code 1): printed without a stack. */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
}
