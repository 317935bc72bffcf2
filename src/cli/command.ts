import type { CommandOptions, ParsedArguments } from './arguments.js';
import type { CliContext } from './cli-context.js';

/** One command (or subcommand) of the CLI runner: its --help, the options it takes, what it does. */
export interface Command {
  readonly help: string;
  readonly options: CommandOptions;
  /** @throws UsageError (exit code 2) or CommandFailure (exit code 1); ConfigError for bad settings (2). */
  run(args: ParsedArguments, cli: CliContext): Promise<void>;
}
