// The log levels, apart from the logger: the settings table names them, and a CLI command that never
// logs should not load pino to read them.
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
