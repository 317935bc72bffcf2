import type { ReplaceColumns } from './post-statements.js';
import type { NotificationRow } from './prisma-client.js';

// Rows written through fixed SQL ($executeRaw) instead of the model API's createMany, which Prisma
// compiles anew (in WebAssembly) for every batch. Raw SQL skips the model API's checks too, and SQLite
// would store a number in a text column: so every value is checked here against its column's type first,
// and a bad one is refused as the model API refused it (one bad post fails only itself, group-commit.ts).

type ColumnType = 'text' | 'int' | 'date';
export interface Column {
  readonly type: ColumnType;
  readonly nullable: boolean;
}
const column = (type: ColumnType, nullable = false): Column => ({ type, nullable });

/** Every column of Notification, in the order written (a missing or unknown one does not compile). */
export const NOTIFICATION_COLUMNS = {
  id: column('text'),
  feedId: column('text'),
  appId: column('text'),
  appNotificationId: column('text'),
  targetHostName: column('text'),
  feedPosition: column('int'),
  priority: column('text'),
  groupName: column('text', true),
  visualTitle: column('text', true),
  visualBody: column('text', true),
  rawContent: column('text', true),
  platformTypes: column('text'),
  displayTimeToLive: column('int', true),
  expirationDateTime: column('date'),
  fallbackPolicy: column('text', true),
  readState: column('text'),
  userActionState: column('text'),
  snoozedUntil: column('date', true),
  status: column('text'),
  createdDateTime: column('date'),
  lastModifiedDateTime: column('date'),
  fallbackDueAt: column('date', true),
  fallbackSentAt: column('date', true),
} as const satisfies Record<keyof NotificationRow, Column>;

/** Every column of Change the write path fills. */
export const CHANGE_COLUMNS = {
  feedId: column('text'),
  offset: column('int'),
  kind: column('text'),
  notificationId: column('text'),
  createdAt: column('date'),
} as const satisfies Record<string, Column>;

/** Every column of DeliveryMark but its generated id. */
export const DELIVERY_MARK_COLUMNS = {
  deviceSubscriptionId: column('text'),
  kind: column('text'),
  fromOffset: column('int'),
  offset: column('int'),
  at: column('date'),
} as const satisfies Record<string, Column>;

function fits(value: unknown, { type, nullable }: Column): boolean {
  if (value === null) return nullable;
  switch (type) {
    case 'text':
      return typeof value === 'string';
    case 'int':
      return Number.isSafeInteger(value);
    case 'date':
      return value instanceof Date && !Number.isNaN(value.getTime());
  }
}

export const quoted = (name: string) => `"${name}"`;

// Each column set's names, listed once: a list per row was three arrays of 23 per post (its keys, its
// values, their conversion), then a copy of them all for the batch.
const namesByColumns = new WeakMap<Record<string, Column>, readonly string[]>();
function namesOf(columns: Record<string, Column>): readonly string[] {
  let names = namesByColumns.get(columns);
  if (!names) {
    names = Object.keys(columns);
    namesByColumns.set(columns, names);
  }
  return names;
}

/**
 * Appends a row's values to `values` in the order of `columns`, each checked against its column's type,
 * then passed through `convert` (the driver's form, e.g. of dates); returns `values`.
 * @throws TypeError naming the first value that does not fit its column.
 */
function appendRowValues<Columns extends Record<string, Column>>(
  values: unknown[],
  table: string,
  columns: Columns,
  row: { readonly [K in keyof Columns]: unknown },
  convert?: (value: unknown) => unknown,
): unknown[] {
  for (const name of namesOf(columns)) {
    const value = row[name];
    if (!fits(value, columns[name] as Column)) {
      throw new TypeError(`${table}.${name} cannot hold ${typeof value} ${String(value).slice(0, 40)}`);
    }
    values.push(convert ? convert(value) : value);
  }
  return values;
}

/**
 * A row's values in the order of `columns`, each checked against its column's type.
 * @throws TypeError naming the first value that does not fit its column.
 */
export const rowValues = <Columns extends Record<string, Column>>(
  table: string,
  columns: Columns,
  row: { readonly [K in keyof Columns]: unknown },
): unknown[] => appendRowValues([], table, columns, row);

/**
 * The values of a multi-row INSERT of `rows` into a table of `columns`, row after row in one array, each
 * checked against its column's type and passed through `convert` (the driver's form, e.g. of dates).
 * @throws TypeError naming the first value that does not fit its column: nothing is to be sent then.
 */
export function rowsValues<Columns extends Record<string, Column>>(
  table: string,
  columns: Columns,
  rows: ReadonlyArray<{ readonly [K in keyof Columns]: unknown }>,
  convert?: (value: unknown) => unknown,
): unknown[] {
  const values: unknown[] = [];
  for (const row of rows) appendRowValues(values, table, columns, row, convert);
  return values;
}

/** `"a", "b", …`: the column list of an INSERT into a table of `columns`. */
export const columnList = (columns: Record<string, Column>) => Object.keys(columns).map(quoted).join(', ');

/** Notification's columns in the order written. */
export const NOTIFICATION_NAMES = Object.keys(NOTIFICATION_COLUMNS) as Array<keyof NotificationRow>;
/** The columns a replace sets, in order: all but the notification's identity and creation time. */
export const REPLACED_NAMES = NOTIFICATION_NAMES.filter(
  (name) => !['id', 'feedId', 'appId', 'createdDateTime'].includes(name),
);

/**
 * A replace's values in the order of REPLACED_NAMES, each checked against its column's type.
 * @throws TypeError naming the first value that does not fit its column.
 */
export function replacedValues(data: ReplaceColumns): unknown[] {
  // The identity columns are placeholders here: checked like the rest, never written.
  const values = rowValues('Notification', NOTIFICATION_COLUMNS, {
    id: '',
    feedId: '',
    appId: '',
    createdDateTime: new Date(0),
    ...data,
  });
  const byName = new Map(NOTIFICATION_NAMES.map((name, i) => [name, values[i]]));
  return REPLACED_NAMES.map((name) => byName.get(name));
}
