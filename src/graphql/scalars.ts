import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

// ISO 8601 with a mandatory zone (Z or ±hh:mm): a date-time without one means a different instant on
// every server.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

function parseDateTime(value: unknown): Date {
  if (typeof value === 'string' && ISO_DATE_TIME.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError('DateTime must be an ISO 8601 date-time with a zone, e.g. 2026-11-22T10:00:00Z.', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  // This scalar replaces the one schema.graphql declares, description included: keep the two texts the
  // same (test/graphql/schema-descriptions.test.ts compares them), or Apollo Sandbox shows none.
  description: 'An ISO 8601 date-time with a time zone, e.g. 2026-11-22T10:00:00Z. Always sent in UTC.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    throw new TypeError('DateTime fields must resolve to a Date.');
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string.');
    return parseDateTime(ast.value);
  },
});
