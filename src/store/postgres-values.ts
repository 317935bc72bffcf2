import pg from 'pg';
import type { NotificationRow } from './prisma-client.js';
import { type Column, NOTIFICATION_COLUMNS, NOTIFICATION_NAMES } from './raw-insert.js';

// How the direct PostgreSQL writes (postgres-post-writer.ts, postgres-batch-statement.ts) send and read
// values exactly as Prisma's adapter does, so what they write reads back the same through the model API.

/** A PostgreSQL `timestamp(3)` column's OID: Prisma's DateTime on PostgreSQL. */
const TIMESTAMP_OID = 1114;

/**
 * Dates as Prisma's adapter writes them into `timestamp(3)` (no time zone): the UTC wall-clock time.
 * node-postgres would write a Date in the process's local time, which the column keeps as if UTC.
 */
function postgresDate(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
}
export const toPostgres = (value: unknown) => (value instanceof Date ? postgresDate(value) : value);

/** How the writers read columns back: timestamps as UTC (node-postgres' default reads local time). */
export const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP_OID && format !== 'binary'
      ? (text: string) => new Date(`${text.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A notification row as the connection returns it, as the model API would. */
export function notificationRowOf(raw: Record<string, unknown>): NotificationRow {
  const row: Record<string, unknown> = {};
  for (const name of NOTIFICATION_NAMES) {
    const value = raw[name];
    const { type } = NOTIFICATION_COLUMNS[name] as Column;
    row[name] = value === null ? null : type === 'int' ? Number(value) : value;
  }
  return row as NotificationRow;
}
