import { parseArgs } from 'node:util';
import type { SettingFlags } from '../config/config.js';
import type { Setting } from '../config/settings.js';
import { UsageError } from './cli-context.js';

/** A command's own options: flags that take a value, and switches that do not. */
export interface CommandOptions {
  readonly values?: readonly string[];
  readonly switches?: readonly string[];
  /** Settings it takes as flags too (see src/config/settings.ts); `serve` takes them all. */
  readonly settings?: readonly Setting<unknown>[];
}

export interface ParsedArguments {
  readonly positionals: readonly string[];
  readonly help: boolean;
  /** A value option, or undefined when it was not given. */
  value(name: string): string | undefined;
  switched(name: string): boolean;
  /** The setting flags given, by variable name, for loadConfig. */
  readonly settings: SettingFlags;
}

/**
 * Parses one command's arguments strictly: an unknown option, or an option without its value, is a
 * usage error naming it, so a typo never passes silently.
 * @throws UsageError for anything the command does not take (unless --help is among the arguments).
 */
export function parseArguments(
  argv: readonly string[],
  command: string,
  options: CommandOptions,
): ParsedArguments {
  const settings = options.settings ?? [];
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of options.values ?? []) config[name] = { type: 'string' };
  for (const name of options.switches ?? []) config[name] = { type: 'boolean' };
  for (const setting of settings) config[setting.flag] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: dashedValues(argv, config),
      options: config,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // --help anywhere answers with the help, whatever else the line holds.
    if (argv.includes('--help') || argv.includes('-h')) return helpOnly();
    throw new UsageError(`${describeParseError(error)} (see: tidings ${command} --help).`);
  }
  const { values, positionals } = parsed;
  const flags: Record<string, string> = {};
  for (const setting of settings) {
    const value = values[setting.flag];
    if (typeof value === 'string') flags[setting.name] = value;
  }
  return {
    positionals,
    help: values.help === true,
    value: (name) => {
      const value = values[name];
      return typeof value === 'string' ? value : undefined;
    },
    switched: (name) => values[name] === true,
    settings: Object.freeze(flags),
  };
}

/**
 * Joins a value option and a value that starts with a dash (`--unsid -Xy…`: base64url ids start with one
 * a time in 64) into `--unsid=-Xy…`, which parseArgs takes, unless the value is itself one of the
 * command's options: `--title --body B` still says that --title needs a value.
 */
function dashedValues(
  argv: readonly string[],
  config: Record<string, { type: 'string' | 'boolean'; short?: string }>,
): string[] {
  const known = (word: string) => {
    const name = word.replace(/^--?/, '').split('=')[0] ?? '';
    return name in config || Object.values(config).some((option) => option.short === name);
  };
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    const next = argv[i + 1];
    if (word === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const name = word.startsWith('--') && !word.includes('=') ? word.slice(2) : undefined;
    if (name && config[name]?.type === 'string' && next?.startsWith('-') && next !== '--' && !known(next)) {
      args.push(`${word}=${next}`);
      i++;
    } else args.push(word);
  }
  return args;
}

function helpOnly(): ParsedArguments {
  return {
    positionals: [],
    help: true,
    value: () => undefined,
    switched: () => false,
    settings: {},
  };
}

/** parseArgs's messages, shortened to one line: they explain `--` tricks nobody needs here. */
function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-{1,2}[^' <]+)/.exec(message ?? '')?.[1] ?? 'an option';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(message ?? '')) return `${option} takes no value`;
    // parseArgs refuses a value that looks like an option (`--title -5`): say how to give one.
    return /ambiguous/.test(message ?? '')
      ? `${option} needs a value (write ${option}=-5 for one that starts with a dash)`
      : `${option} needs a value`;
  }
  throw error;
}
