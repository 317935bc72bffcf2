import { createJsonLogger, type Logger, type LogLevel } from '../../src/logger.js';

/** One log line as the gateway wrote it (pino JSON), parsed. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface CapturedLogs {
  /** The real JSON logger, writing into `lines` instead of stderr: pass it as the gateway's `logger`. */
  readonly logger: Logger;
  readonly lines: LogLine[];
  /** The lines with this message. */
  withMessage(msg: string): LogLine[];
}

/** Captures what a gateway logs, through the same logger (and format) as production. */
export function captureLogs(level: LogLevel = 'debug'): CapturedLogs {
  const lines: LogLine[] = [];
  return {
    logger: createJsonLogger((line) => lines.push(JSON.parse(line) as LogLine), level),
    lines,
    withMessage: (msg) => lines.filter((line) => line.msg === msg),
  };
}
