import type { CpuPlan } from '../lib/cpu-pinning.js';
import type { HttpRequestTemplate } from '../lib/http-template.js';
import type { SocketSpec } from '../lib/load-messages.js';
import type { ServerProcess } from '../lib/server-process.js';

/** The systems compared, in the order they are measured in each round; raw-ws is the reference. */
export type SystemId =
  | 'raw-ws'
  // raw-ws, but each change committed to SQLite before it is answered and sent: a durable gateway's floor.
  | 'raw-ws-durable'
  // raw-ws, but each change posted through Tidings' own SQLite store first (delivery marks too): what
  // Tidings' data costs to keep, without the gateway around it.
  | 'raw-ws-store'
  | 'apollo-naive'
  | 'yoga'
  | 'tidings-sqlite'
  | 'tidings-postgres'
  // Another build of Tidings measured beside this one (TIDINGS_BENCH_BEFORE): before vs after a change.
  | 'tidings-sqlite-before'
  | 'tidings-postgres-before'
  // Not servers: the write path's floor, the store's SQL on the bare driver (scenarios/write-floor.ts).
  | 'bare-driver-sqlite'
  | 'bare-driver-postgres';

/** Whether a system is Tidings (this build or the one measured beside it). */
export const isTidingsId = (id: SystemId): boolean => id.startsWith('tidings-');

/** Where the bench's own services are, and how processes are pinned. */
export interface BenchEnvironment {
  readonly cpus: CpuPlan;
  readonly postgresUrl: string;
  readonly redisUrl: string;
  /** Progress lines for the person running the bench. */
  log(message: string): void;
}

/**
 * One system under test. `install` makes what outlives a restart (Tidings: a data directory or a
 * PostgreSQL schema, a registered app, device subscriptions): a scenario may start, stop and start
 * again the same installation, e.g. to measure memory in a fresh process each round.
 */
export interface SystemDefinition {
  readonly id: SystemId;
  /** A short description for the report. */
  readonly label: string;
  install(environment: BenchEnvironment): Promise<Installation>;
}

/** What one start of a server may change. */
export interface StartOptions {
  /** Settings for this start only (Tidings' TIDINGS_* variables); the comparison servers ignore them. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Tidings: another build's `dist/main.js` to run instead of this checkout's (e.g. main's, copied beside
   * dist/ so it finds the same node_modules), to measure before and after side by side.
   */
  readonly entry?: string;
}

/** Where a Tidings installation keeps its store, for scenarios that write to it directly (seeding). */
export type DatabaseLocation =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

export interface Installation {
  /** Starts the server process (pinned to the server CPU); it is stopped before `dispose`. */
  start(options?: StartOptions): Promise<RunningSystem>;
  /** Tidings: its store. */
  readonly database?: DatabaseLocation;
  /** Removes what `install` made (also done at the end of the run if a scenario fails). */
  dispose(): Promise<void>;
}

/** A running server, behind the same interface for every system. */
export interface RunningSystem
  extends Pick<ServerProcess, 'pid' | 'url' | 'wsUrl' | 'probe' | 'output' | 'stop'> {
  /**
   * `perUser` devices for each of `users`, user by user, each as the socket that subscribes for it.
   * Tidings: device subscriptions created over HTTP with the user's token (made once per installation,
   * found again after a restart); the others: the user's topic.
   */
  devices(users: readonly string[], perUser: number): Promise<SocketSpec[]>;
  /**
   * One notification to every live device of `user`, sent as its app would; resolves with the server's
   * answer. Tidings: createNotification over HTTP with an app token; the others: POST /publish.
   * Call `devices` for the user first (Tidings targets one of its UNSIDs).
   */
  trigger(user: string): Promise<void>;
  /**
   * What `trigger` sends, as data, for load generators that post on their own (lib/http-load.ts): the
   * body's TARGET is a device's `deviceSubscriptionId` from `devices` (it targets that device's user), its KEY
   * the notification's appNotificationId.
   */
  readonly triggerRequest?: HttpRequestTemplate;
  /**
   * A trivial GraphQL query over HTTP: `{ ping }` on the GraphQL comparison servers, `{ __typename }`
   * with the app token on Tidings; none on the raw ws server.
   */
  readonly trivialRequest?: HttpRequestTemplate;
}
