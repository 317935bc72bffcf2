import { baselineSystem } from './baseline-system.js';
import type { SystemDefinition } from './system.js';
import { BEFORE_ROOT, tidingsSystem } from './tidings.js';

/** Every system, in the order each round measures them; the first is the reference of the ratios. */
export const SYSTEMS: readonly SystemDefinition[] = [
  baselineSystem('raw-ws', 'raw ws broadcast of a pre-serialised frame (ceiling)', 'raw-ws.ts'),
  baselineSystem(
    'raw-ws-durable',
    'raw ws, each change committed to SQLite first (WAL, synchronous=FULL, group commit): a durable floor',
    'raw-ws-durable.ts',
  ),
  baselineSystem(
    'raw-ws-store',
    "raw ws, each change posted through Tidings' own SQLite store first (and its delivery marks): the store without the gateway",
    'raw-ws-store.ts',
    { withStore: true },
  ),
  baselineSystem(
    'apollo-naive',
    'Apollo Server 5 + graphql-ws useServer, in-memory pub/sub',
    'apollo-naive.ts',
  ),
  baselineSystem('yoga', 'GraphQL Yoga 5 + graphql-ws useServer, Yoga pub/sub', 'yoga.ts'),
  // Each build of Tidings right after the other, so each round measures them back to back.
  ...(BEFORE_ROOT === undefined ? [] : [tidingsSystem('sqlite', BEFORE_ROOT)]),
  tidingsSystem('sqlite'),
  ...(BEFORE_ROOT === undefined ? [] : [tidingsSystem('postgres', BEFORE_ROOT)]),
  tidingsSystem('postgres'),
];

export const REFERENCE_SYSTEM = 'raw-ws';
