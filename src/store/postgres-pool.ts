import pg from 'pg';

/** How long each kind of PostgreSQL call may take (the PostgreSQL settings in src/config/settings.ts). */
export interface PostgresBounds {
  /** Opening a connection, or waiting for a free one when the pool is full. */
  readonly connectTimeoutMs: number;
  /** One statement, on the server (`statement_timeout`, lock waits included). */
  readonly statementTimeoutMs: number;
  /** One write transaction (Prisma rolls back one that takes longer). */
  readonly transactionTimeoutMs: number;
}

/**
 * How much longer than `statement_timeout` a connection may stay silent before the client takes it for
 * broken. Past `statement_timeout` a live server cancels the statement and says so; if it has said
 * nothing a moment later, the server or the network in between is hung.
 */
const SILENCE_GRACE_MS = 1000;
/** TCP keep-alive probes start after this much idleness, so the OS notices a peer that vanished. */
const KEEP_ALIVE_DELAY_MS = 10_000;
/**
 * A connection unused this long leaves the pool (node-postgres' default, said here on purpose), unless
 * it is one of the warm ones (`warmConnections`).
 */
const IDLE_TIMEOUT_MS = 10_000;

/** Raised (as the connection's error) when a connection has not answered a statement in time. */
export class SilentConnectionError extends Error {
  override name = 'SilentConnectionError';
  /** Read by isStoreUnavailable, like a socket error's code. */
  readonly code = 'DB_CONNECTION_SILENT';
}

/**
 * The connection pool the store's Prisma adapter runs on, with every call bounded. node-postgres bounds
 * nothing by default (no connect timeout, no statement timeout, no keep-alive), and the Prisma adapter
 * passes nothing more: a database that hangs, or a middlebox that forgets a connection without a reset
 * (half-open), then leaves a query waiting for ever and its pooled connection with it, until the pool
 * has no connection left and the process answers nothing, long after the database is back.
 *
 * - `connectionTimeoutMillis`: opening a connection, and waiting for a free one, fail in bounded time.
 * - `statement_timeout`: the server cancels a statement that runs too long (a lock held elsewhere); the
 *   connection stays usable. `idle_in_transaction_session_timeout` (the transaction bound, which no live
 *   transaction outlasts): the server ends a session left inside a transaction by a client it can no
 *   longer hear, so its row locks (a feed's) are freed.
 * - A statement unanswered `SILENCE_GRACE_MS` past `statement_timeout` destroys its connection: its
 *   query fails (SERVICE_UNAVAILABLE above) and the pool drops it, so the next call opens a fresh one
 *   instead of queueing behind it. node-postgres' own `query_timeout` fails the query but keeps the
 *   connection, still waiting for an answer that will not come, and inside a transaction the Prisma
 *   adapter hands it back to the pool as healthy.
 * - TCP keep-alive, so an idle connection whose peer vanished is noticed by the OS.
 */
export function createPostgresPool(
  connection: { readonly connectionString: string; readonly options: string },
  bounds: PostgresBounds,
  options: {
    /** Connections kept open however long they idle, once opened (node-postgres' `min`). */
    readonly warmConnections: number;
    /** For tests: how long a connection past the warm ones may idle (default 10 s). */
    readonly idleTimeoutMs?: number;
  },
): pg.Pool {
  return new pg.Pool({
    ...connection,
    connectionTimeoutMillis: bounds.connectTimeoutMs,
    statement_timeout: bounds.statementTimeoutMs,
    idle_in_transaction_session_timeout: bounds.transactionTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MS,
    idleTimeoutMillis: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    min: options.warmConnections,
    Client: clientDroppingSilentConnections(bounds.statementTimeoutMs + SILENCE_GRACE_MS),
  });
}

type QueryFunction = (...args: unknown[]) => unknown;

/** The query configs of statements that commit on their own (see {@link commitsOnItsOwn}). */
const selfCommitting = new WeakSet<object>();

/**
 * Marks a query whose statement commits on its own, outside a transaction: its silence bound covers the
 * statement and then its commit, so it gets the bound twice, as a statement and the transaction's COMMIT
 * after it each had theirs. (`statement_timeout` stops before the commit: a commit that is slow to reach
 * the disk must not make the client drop a connection whose statement is committing, and so report a
 * failure for what the server committed.)
 */
export function commitsOnItsOwn<Config extends object>(config: Config): Config {
  selfCommitting.add(config);
  return config;
}

/** A node-postgres client class whose connection is destroyed when a statement is not answered in `ms`. */
function clientDroppingSilentConnections(ms: number): new () => pg.Client {
  return class BoundedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config);
      const query = super.query.bind(this) as QueryFunction;
      // Every form the adapter and the pool use: (config[, values], callback) or a promise.
      const bounded: QueryFunction = (...args) => {
        const first = args[0];
        const silence =
          typeof first === 'object' && first !== null && selfCommitting.has(first) ? 2 * ms : ms;
        const timer = setTimeout(
          () =>
            this.connection.stream.destroy(
              new SilentConnectionError(`PostgreSQL did not answer in ${silence} ms.`),
            ),
          silence,
        );
        timer.unref();
        const done = () => clearTimeout(timer);
        const last = args.length - 1;
        const callback = args[last];
        if (typeof callback === 'function') {
          args[last] = (...results: unknown[]) => {
            done();
            (callback as QueryFunction)(...results);
          };
          return query(...args);
        }
        const result = query(...args);
        if (result instanceof Promise) result.then(done, done);
        else done(); // a Submittable (a cursor, a stream): not used by the store, not bounded here
        return result;
      };
      this.query = bounded as pg.Client['query'];
    }
  };
}
