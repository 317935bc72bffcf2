import { isAbsolute, resolve } from 'node:path';
import type { LogLevel } from '../logger.js';
import type { ListenAddress } from './kinds.js';
import { ALL_SETTINGS, SETTINGS, type Setting } from './settings.js';

export type Mode = 'development' | 'production';
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** Web Push (README "Web Push"). */
export interface WebPushConfig {
  readonly enabled: boolean;
  /** The VAPID `sub` claim: mailto: or https:. */
  readonly subject: string;
  /** How long a change may wait to reach a device live before it is pushed. */
  readonly delayMs: number;
  /** Time between looks for due pushes; 0: no timer (tests run rounds themselves). */
  readonly intervalMs: number;
  /** Longest wait for one push service answer. */
  readonly timeoutMs: number;
  /** Whether http://127.0.0.1 and http://localhost endpoints are accepted (tests). */
  readonly allowInsecureLocalhost: boolean;
}

/** Everything the gateway can be told, parsed and validated once. See README "Configuration". */
export interface Config {
  readonly mode: Mode;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /**
   * Reverse proxies (addresses, CIDR ranges, proxy-addr's `loopback`…) whose `X-Forwarded-For` is believed
   * for the client address; empty: none, the peer is the client.
   */
  readonly trustedProxies: readonly string[];
  /** Where GET /metrics is served: a listener of its own, the public port, or nowhere. */
  readonly metricsAddress: ListenAddress | 'public' | 'off';
  /** Where the embedded defaults keep their files: the SQLite database and the signing key. */
  readonly dataDir: string;
  /** `file:…` (SQLite, the default, under the data directory) or `postgres://…[?schema=name]`. */
  readonly databaseUrl: string;
  /** Which store the URL selects. */
  readonly databaseProvider: 'sqlite' | 'postgres';
  /** Redis for the fan-out across processes; null: in memory (one process). */
  readonly redisUrl: string | null;
  /** Prefix of the Redis channels, so deployments can share a Redis. */
  readonly redisPrefix: string;
  /** FULL (default) survives power loss; NORMAL survives a process crash and commits faster. */
  readonly sqliteSynchronous: SqliteSynchronous;
  /** SQLite: whether posts and delivery marks commit on a worker thread (`auto`: with more than one CPU). */
  readonly sqliteWriteThread: 'auto' | 'on' | 'off';
  /** Bounds of every PostgreSQL call, so an outage answers SERVICE_UNAVAILABLE rather than hangs. */
  readonly postgres: {
    /** Opening a connection, getting a free one from the pool, starting a transaction. */
    readonly connectTimeoutMs: number;
    /** One statement (`statement_timeout`); the client drops a connection silent a little longer. */
    readonly statementTimeoutMs: number;
    /** One write transaction, from its first statement to its commit. */
    readonly transactionTimeoutMs: number;
  };
  /** The least severe log lines written (`info`: one line per HTTP request, and anything worse). */
  readonly logLevel: LogLevel;
  /** Which web pages, by origin, may call the gateway from a browser (README "Browsers on other origins"). */
  readonly allowedOrigins: AllowedOrigins;
  readonly auth: {
    /** `iss` of the tokens this gateway issues and accepts. */
    readonly issuer: string;
    /** `aud` of the tokens this gateway issues and accepts. */
    readonly audience: string;
    /** Lifetime of app tokens from the token endpoint, in seconds. */
    readonly appTokenTtlSeconds: number;
    /** Clock skew tolerated on `exp` and `nbf`, in seconds. */
    readonly clockToleranceSeconds: number;
    /** An OIDC issuer whose tokens are accepted beside the embedded issuer's; null: embedded only. */
    readonly external: ExternalIssuerConfig | null;
  };
  readonly limits: {
    /** Largest HTTP request body, in bytes. */
    readonly maxBodyBytes: number;
    /**
     * A live feed whose wake-ups waiting to be handled (one per transaction) pass this count is closed
     * (4008), so one slow device holds no unbounded memory and slows nobody else; it resumes from its
     * cursor. Also the most live changes a feed holds: it reads the rest of a large transaction from the
     * store.
     */
    readonly maxPendingChanges: number;
    /** Sockets one user (in one app) may hold open on one process. */
    readonly maxConnectionsPerUser: number;
    /** Live (unexpired) device subscriptions one user may hold in one app. */
    readonly maxDevicesPerUser: number;
    /** Operations at once on one socket. */
    readonly maxSubscriptionsPerConnection: number;
    /** A socket that sends no `connection_init` within this time is closed (4408). */
    readonly connectionInitTimeoutMs: number;
    /** Every socket is pinged this often; one that has not answered the previous ping is cut. */
    readonly keepAliveMs: number;
    /** An idle HTTP keep-alive connection is closed after this long (above a proxy's idle timeout). */
    readonly httpKeepAliveTimeoutMs: number;
    /** Whether WebSocket frames are compressed (permessage-deflate) for clients that offer it. */
    readonly webSocketCompression: boolean;
    /** Lexical tokens in one document: bounds the parser's work and its recursion (see settings.ts). */
    readonly maxQueryTokens: number;
    /** Operation shape limits (see src/graphql/operation-limits.ts). */
    readonly maxQueryDepth: number;
    readonly maxAliases: number;
    readonly maxFields: number;
    /** Mutations an app may make per second, sustained, and in a burst. */
    readonly appMutationsPerSecond: number;
    readonly appMutationBurst: number;
    /** Mutations a user (in one app) may make per second, sustained, and in a burst. */
    readonly userMutationsPerSecond: number;
    readonly userMutationBurst: number;
  };
  readonly webPush: WebPushConfig;
  readonly retention: {
    /**
     * How long the change log, delivery marks, tombstones and expired device subscriptions are kept; older
     * cursors resync.
     */
    readonly logRetentionSeconds: number;
    /** Time between sweeps (expiry, fallbacks, purge); 0 disables the timer. */
    readonly sweepIntervalMs: number;
    /** Time between writes of delivery marks (when devices received what). */
    readonly deliveryFlushMs: number;
  };
}

/**
 * Origins allowed to call the gateway from a browser: those listed (exact, as browsers send `Origin`; none
 * when empty), any, or the loopback origins a developer's pages run on (`localhost`, `127.0.0.1`,
 * `[::1]`, http or https, any port: the default in development).
 */
export type AllowedOrigins =
  | { readonly kind: 'listed'; readonly origins: readonly string[] }
  | { readonly kind: 'any' }
  | { readonly kind: 'loopback' };

/** Where an external issuer's tokens come from and how to read them (README "External issuer"). */
export interface ExternalIssuerConfig {
  /** The exact `iss` of its tokens. */
  readonly issuer: string;
  readonly jwksUrl: URL;
  /** `aud` its tokens must carry for this gateway. */
  readonly audience: string;
  /** Asymmetric algorithms only: a shared-secret or `none` algorithm is refused at start. */
  readonly algorithms: readonly string[];
  readonly claims: ClaimNames;
  /** jose's remote key set: how long fetched keys are trusted, the least time between two fetches. */
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
  readonly jwksTimeoutMs: number;
}

/** Which claims carry what in a token (Entra ID, Auth0 and Keycloak differ). */
export interface ClaimNames {
  /** The user's id (with `iss`, the user). */
  readonly user: string;
  /** The app the token was issued to (the client app for a user, the app service itself for an app). */
  readonly app: string;
  /** Claims holding scopes or roles: a space-separated string or an array each; all are read. */
  readonly scopes: readonly string[];
  /** A claim telling app tokens apart, and its value in them (Entra: idtyp=app; Auth0: gty=client-credentials). */
  readonly tokenType: string;
  readonly appTokenType: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Settings given on the command line (`serve --max-body-bytes 2048`), by variable name
 * (TIDINGS_MAX_BODY_BYTES): a flag wins over the environment.
 */
export type SettingFlags = Readonly<Record<string, string | undefined>>;

/** Bad settings: one problem a line, each naming the setting, what was given and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('\n'));
    this.problems = list;
  }
}

/**
 * Reads the configuration from environment variables and flags (see README "Configuration" and
 * src/config/settings.ts), with typed overrides from code (tests) on top.
 * @throws ConfigError listing every bad setting: the variable (or flag), the value given, what it accepts.
 */
export function loadConfig(
  env: Env,
  overrides: Partial<Pick<Config, 'port' | 'host' | 'dataDir'>> = {},
  flags: SettingFlags = {},
): Config {
  /** Bad values, by setting; and problems of several settings together. */
  const badValues = new Map<Setting<unknown>, string>();
  const problems: string[] = [];
  /** The setting's value from its flag, else its variable, else its default (undefined: none). */
  function read<T>(setting: Setting<T>): T | undefined {
    const flag = flags[setting.name];
    // An empty variable counts as unset (as `FOO=` in a compose file means); an empty flag is a mistake.
    const [raw, label] =
      flag !== undefined ? [flag, `--${setting.flag}`] : [env[setting.name] || undefined, setting.name];
    if (raw === undefined) return setting.fallback;
    const value = setting.kind.parse(raw);
    if (value === undefined) {
      const given = setting.secret ? '' : ` (got ${JSON.stringify(raw)})`;
      badValues.set(setting as Setting<unknown>, `${label} must be ${setting.kind.accepts}${given}.`);
    }
    return value ?? setting.fallback;
  }
  function get<T>(setting: Setting<T>): T {
    const value = read(setting);
    if (value === undefined) throw new Error(`${setting.name} has no default.`);
    return value;
  }

  const mode = read(SETTINGS.mode) ?? (env.NODE_ENV === 'production' ? 'production' : 'development');
  const dataDir = absolute(overrides.dataDir ?? get(SETTINGS.dataDir));
  const databaseUrl = read(SETTINGS.databaseUrl) ?? `file:${resolve(dataDir, 'tidings.db')}`;
  const issuer = get(SETTINGS.issuer);
  const audience = get(SETTINGS.audience);
  const config: Config = {
    mode,
    host: overrides.host ?? get(SETTINGS.host),
    port: overrides.port ?? get(SETTINGS.port),
    trustedProxies: Object.freeze([...(read(SETTINGS.trustedProxies) ?? [])]),
    // Off the public port in production: it shows the traffic's shape, which is the operator's business.
    metricsAddress: read(SETTINGS.metricsAddress) ?? (mode === 'production' ? 'off' : 'public'),
    dataDir,
    databaseUrl,
    databaseProvider: databaseUrl.startsWith('file:') ? 'sqlite' : 'postgres',
    redisUrl: read(SETTINGS.redisUrl) ?? null,
    redisPrefix: get(SETTINGS.redisPrefix),
    sqliteSynchronous: get(SETTINGS.sqliteSynchronous),
    sqliteWriteThread: get(SETTINGS.sqliteWriteThread),
    postgres: Object.freeze({
      connectTimeoutMs: get(SETTINGS.postgresConnectTimeout),
      statementTimeoutMs: get(SETTINGS.postgresStatementTimeout),
      transactionTimeoutMs: get(SETTINGS.postgresTransactionTimeout),
    }),
    logLevel: get(SETTINGS.logLevel),
    allowedOrigins: allowedOrigins(read(SETTINGS.corsOrigins), mode),
    auth: Object.freeze({
      issuer,
      audience,
      appTokenTtlSeconds: get(SETTINGS.appTokenTtl),
      clockToleranceSeconds: get(SETTINGS.clockTolerance),
      external: externalIssuer(read, get, { issuer, audience }, problems),
    }),
    limits: Object.freeze({
      maxBodyBytes: get(SETTINGS.maxBodyBytes),
      maxPendingChanges: get(SETTINGS.maxPendingChanges),
      maxConnectionsPerUser: get(SETTINGS.maxConnectionsPerUser),
      maxDevicesPerUser: get(SETTINGS.maxDevicesPerUser),
      maxSubscriptionsPerConnection: get(SETTINGS.maxSubscriptionsPerConnection),
      connectionInitTimeoutMs: get(SETTINGS.connectionInitTimeout),
      keepAliveMs: get(SETTINGS.keepAlive),
      httpKeepAliveTimeoutMs: get(SETTINGS.httpKeepAliveTimeout),
      webSocketCompression: get(SETTINGS.webSocketCompression) === 'permessage-deflate',
      maxQueryTokens: get(SETTINGS.maxQueryTokens),
      maxQueryDepth: get(SETTINGS.maxQueryDepth),
      maxAliases: get(SETTINGS.maxAliases),
      maxFields: get(SETTINGS.maxFields),
      appMutationsPerSecond: get(SETTINGS.appMutationsPerSecond),
      appMutationBurst: get(SETTINGS.appMutationBurst),
      userMutationsPerSecond: get(SETTINGS.userMutationsPerSecond),
      userMutationBurst: get(SETTINGS.userMutationBurst),
    }),
    webPush: webPushConfig(read, get, mode, problems),
    retention: Object.freeze({
      logRetentionSeconds: get(SETTINGS.logRetention),
      sweepIntervalMs: get(SETTINGS.sweepInterval),
      deliveryFlushMs: get(SETTINGS.deliveryFlush),
    }),
  };
  // Bad values in the order of the table, as `serve --help` and the README list them. Problems of
  // several settings together only once each is valid: a bad value read as unset would add false ones.
  const bad = ALL_SETTINGS.flatMap((setting) => badValues.get(setting) ?? []);
  if (bad.length > 0) throw new ConfigError(bad);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** Web Push's settings; a missing subject in production, or a bad one, is added to `problems`. */
function webPushConfig(
  read: Read,
  get: <T>(setting: Setting<T>) => T,
  mode: Mode,
  problems: string[],
): WebPushConfig {
  let subject = read(SETTINGS.webPushSubject);
  // Production needs a subject push services can reach the operator at: without one, Web Push stays off
  // unless asked for (and then the missing subject is a problem), so existing set-ups start as before.
  const enabled =
    (read(SETTINGS.webPush) ?? (mode === 'production' && subject === undefined ? 'off' : 'on')) === 'on';
  const allowInsecureLocalhost = get(SETTINGS.webPushAllowInsecureLocalhost) === 'on';
  if (subject !== undefined && !/^(mailto:.+|https:\/\/.+)$/.test(subject.trim())) {
    problems.push(`${SETTINGS.webPushSubject.name} must be a mailto: or https: URL.`);
  }
  if (enabled && subject === undefined && mode === 'production') {
    problems.push(
      `${SETTINGS.webPushSubject.name} is required in production while Web Push is on (or set ${SETTINGS.webPush.name}=off).`,
    );
  }
  if (allowInsecureLocalhost && mode === 'production') {
    problems.push(`${SETTINGS.webPushAllowInsecureLocalhost.name} is for tests: not in production.`);
  }
  // A live delivery is known to other processes once its mark is written (every
  // TIDINGS_DELIVERY_FLUSH_MS): a shorter delay would push changes that live devices already have.
  const delayMs = Math.max(get(SETTINGS.webPushDelay), get(SETTINGS.deliveryFlush) + 1000);
  subject ??= 'mailto:tidings@localhost';
  return Object.freeze({
    enabled,
    subject: subject.trim(),
    delayMs,
    intervalMs: get(SETTINGS.webPushInterval),
    timeoutMs: get(SETTINGS.webPushTimeout),
    allowInsecureLocalhost,
  });
}

/** The origins set (`*` alone: any), or the mode's default: none in production, loopback in development. */
function allowedOrigins(set: readonly string[] | undefined, mode: Mode): AllowedOrigins {
  if (set === undefined)
    return mode === 'production' ? { kind: 'listed', origins: [] } : { kind: 'loopback' };
  if (set[0] === '*') return { kind: 'any' };
  return Object.freeze({ kind: 'listed', origins: Object.freeze([...set]) });
}

type Read = <T>(setting: Setting<T>) => T | undefined;

/** The external issuer's settings, or null when none is configured; problems are added to `problems`. */
function externalIssuer(
  read: Read,
  get: <T>(setting: Setting<T>) => T,
  embedded: { issuer: string; audience: string },
  problems: string[],
): ExternalIssuerConfig | null {
  const issuer = read(SETTINGS.externalIssuer);
  const jwksUrl = read(SETTINGS.externalJwksUrl);
  // Read even when unused, so that a bad value is reported at start rather than when it is first needed.
  const rest = {
    audience: read(SETTINGS.externalAudience) ?? embedded.audience,
    algorithms: Object.freeze([...get(SETTINGS.externalAlgorithms)]),
    claims: Object.freeze({
      user: get(SETTINGS.claimUser),
      app: get(SETTINGS.claimApp),
      scopes: Object.freeze([...get(SETTINGS.claimScopes)]),
      tokenType: get(SETTINGS.claimTokenType),
      appTokenType: get(SETTINGS.appTokenType),
    }),
    jwksCacheMaxAgeMs: get(SETTINGS.jwksCacheMaxAge),
    jwksCooldownMs: get(SETTINGS.jwksCooldown),
    jwksTimeoutMs: get(SETTINGS.jwksTimeout),
  };
  if (!issuer && !jwksUrl) return null;
  if (!issuer || !jwksUrl) {
    problems.push(
      `Set both ${SETTINGS.externalIssuer.name} and ${SETTINGS.externalJwksUrl.name}, or neither.`,
    );
    return null;
  }
  if (issuer === embedded.issuer) {
    problems.push(
      `${SETTINGS.externalIssuer.name} must differ from the embedded issuer (${SETTINGS.issuer.name}).`,
    );
  }
  return Object.freeze({ issuer, jwksUrl: new URL(jwksUrl), ...rest });
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}
