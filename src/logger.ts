import { pino } from 'pino';
import type { LogLevel } from './log-levels.js';

export { LOG_LEVELS, type LogLevel } from './log-levels.js';

/**
 * Structured log lines (pino: JSON, one per line, on stderr) so operators can ship them anywhere. The
 * message comes first and the fields second, whatever the library underneath wants.
 */
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A logger whose every line also carries `bindings` (e.g. the request id). */
  child(bindings: Readonly<Record<string, unknown>>): Logger;
}

// Never logged, wherever they would appear: a safety net, since nothing logs headers or bodies on purpose.
const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'access_token',
  'client_secret',
  'connectionParams',
];

/**
 * A pino logger writing each line to `write` (stderr by default), at `level` and above.
 * Lines: `{"level":"info","time":"<ISO 8601>","pid":…,"hostname":…,"msg":"…", …fields}`.
 */
export function createJsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  level: LogLevel = 'info',
): Logger {
  const options: pino.LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  const redacting = pino({ ...options, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, { write });
  // The same lines without the redaction pass, for fields it cannot change (see nothingToRedact): the
  // access line of every request is one, and redacting it was half of its cost in pino.
  const plain = pino(options, { write });
  return wrap(redacting, plain);
}

// The top-level names REDACTED_PATHS start with, made from it so that the two cannot drift apart. A path
// `*.x` reaches only into objects, which nothingToRedact leaves to redaction anyway. A path this cannot
// read as a plain name (brackets, or `*` alone: every field) turns the shortcut off rather than guess.
const TOP_LEVEL_NAMES = REDACTED_PATHS.filter((path) => !path.startsWith('*.')).map(
  (path) => path.split('.')[0] as string,
);
const REDACTED_NAMES = new Set(TOP_LEVEL_NAMES);
const NAMES_ARE_PLAIN = TOP_LEVEL_NAMES.every((name) => /^[A-Za-z_$][\w$]*$/.test(name));

/** Whether redaction leaves `fields` as they are: no field is an object, and none has a redacted name. */
function nothingToRedact(fields: Readonly<Record<string, unknown>>): boolean {
  if (!NAMES_ARE_PLAIN) return false;
  for (const name in fields) {
    const value = fields[name];
    if ((typeof value === 'object' && value !== null) || REDACTED_NAMES.has(name)) return false;
  }
  return true;
}

/** `plain`: the same logger without redaction, for lines it would not change (not given to children). */
function wrap(logger: pino.Logger, plain?: pino.Logger): Logger {
  const pick = (fields: Readonly<Record<string, unknown>>) =>
    plain !== undefined && nothingToRedact(fields) ? plain : logger;
  return {
    debug: (message, fields) => (fields ? pick(fields).debug(fields, message) : logger.debug(message)),
    info: (message, fields) => (fields ? pick(fields).info(fields, message) : logger.info(message)),
    warn: (message, fields) => (fields ? pick(fields).warn(fields, message) : logger.warn(message)),
    error: (message, fields) => (fields ? pick(fields).error(fields, message) : logger.error(message)),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}

/**
 * `logger.child(bindings)`, made only when a line is first written through it: a pino child and its
 * wrapper cost about 0.7 KiB, and most long-lived connections (idle sockets) never log past their first
 * line, which can be written as `logger.info(message, { ...bindings, ...fields })` instead.
 */
export function lazyChild(logger: Logger, bindings: Readonly<Record<string, unknown>>): Logger {
  return new LazyChildLogger(logger, bindings);
}

// A class: its methods live once on the prototype, not as closures per instance.
class LazyChildLogger implements Logger {
  #made: Logger | undefined;
  constructor(
    readonly parent: Logger,
    readonly bindings: Readonly<Record<string, unknown>>,
  ) {}
  get #logger(): Logger {
    this.#made ??= this.parent.child(this.bindings);
    return this.#made;
  }
  debug(message: string, fields?: Readonly<Record<string, unknown>>) {
    this.#logger.debug(message, fields);
  }
  info(message: string, fields?: Readonly<Record<string, unknown>>) {
    this.#logger.info(message, fields);
  }
  warn(message: string, fields?: Readonly<Record<string, unknown>>) {
    this.#logger.warn(message, fields);
  }
  error(message: string, fields?: Readonly<Record<string, unknown>>) {
    this.#logger.error(message, fields);
  }
  child(bindings: Readonly<Record<string, unknown>>): Logger {
    return this.#logger.child(bindings);
  }
}

/** For tests and tools that want quiet. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** An Error's loggable fields (its stack stays in the log, never in a response). */
export const errorFields = (error: unknown): Record<string, unknown> =>
  error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
