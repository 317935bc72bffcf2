import { Prisma } from './generated/sqlite/client.js';
import { type Column, columnList, quoted, rowValues } from './raw-insert.js';

// Apart from raw-insert.ts, which does not load Prisma's client: the SQLite writer's worker thread
// (sqlite-write-worker.ts) checks rows with it and has no use for Prisma.

/**
 * One INSERT of every row into `table` (its columns as `columns` declares them, in that order), after
 * checking every value's type.
 * @throws TypeError naming the first value that does not fit its column; nothing is written then.
 */
export function insertRows<Columns extends Record<string, Column>>(
  table: string,
  columns: Columns,
  rows: ReadonlyArray<{ readonly [K in keyof Columns]: unknown }>,
): Prisma.Sql {
  const values = rows.map((row) => Prisma.sql`(${Prisma.join(rowValues(table, columns, row))})`);
  return Prisma.sql`INSERT INTO ${Prisma.raw(quoted(table))} (${Prisma.raw(columnList(columns))}) VALUES ${Prisma.join(values)}`;
}
