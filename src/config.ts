import { isAbsolute, resolve } from 'node:path';
import { LOG_LEVELS, type LogLevel } from './logger.js';

export type Mode = 'development' | 'production';
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** Everything the gateway can be told, parsed and validated once. See README "Configuration". */
export interface Config {
  readonly mode: Mode;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
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
  /** The least severe log lines written (`info`: one line per HTTP request, and anything worse). */
  readonly logLevel: LogLevel;
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
     * A live feed whose changes waiting to be sent pass this count is closed (4008), so one slow device
     * holds no unbounded memory and slows nobody else; it resumes from its cursor.
     */
    readonly maxPendingChanges: number;
    /** Sockets one user (in one app) may hold open on one process. */
    readonly maxConnectionsPerUser: number;
    /** Operations at once on one socket. */
    readonly maxSubscriptionsPerConnection: number;
    /** A socket that sends no `connection_init` within this time is closed (4408). */
    readonly connectionInitTimeoutMs: number;
    /** Operation shape limits (see src/graphql/operation-limits.ts). */
    readonly maxQueryDepth: number;
    readonly maxAliases: number;
    readonly maxFields: number;
    /** Mutations an app may make per second, sustained, and in a burst. */
    readonly appMutationsPerSecond: number;
    readonly appMutationBurst: number;
  };
  readonly retention: {
    /** How long the change log, delivery marks and tombstones are kept; older cursors resync. */
    readonly logRetentionSeconds: number;
    /** Time between sweeps (expiry, fallbacks, purge); 0 disables the timer. */
    readonly sweepIntervalMs: number;
    /** Time between writes of delivery marks (when devices received what). */
    readonly deliveryFlushMs: number;
  };
}

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

/** Signatures an external issuer may use. Never HS* (a shared secret) and never `none`. */
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export type Env = Readonly<Record<string, string | undefined>>;

const EMBEDDED_ISSUER = 'urn:tidings:embedded';
const DEFAULT_AUDIENCE = 'tidings';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the configuration from environment variables (see README), with overrides from code or flags.
 * @throws ConfigError naming the variable and the value it expected.
 */
export function loadConfig(
  env: Env,
  overrides: Partial<Pick<Config, 'port' | 'host' | 'dataDir'>> = {},
): Config {
  const mode = oneOf(
    'TIDINGS_MODE',
    env.TIDINGS_MODE ?? (env.NODE_ENV === 'production' ? 'production' : 'development'),
    ['development', 'production'] as const,
  );
  const dataDir = absolute(overrides.dataDir ?? env.TIDINGS_DATA_DIR ?? './data');
  const databaseUrl = env.DATABASE_URL ?? `file:${resolve(dataDir, 'tidings.db')}`;
  const databaseProvider = databaseUrl.startsWith('file:')
    ? 'sqlite'
    : /^postgres(ql)?:\/\//.test(databaseUrl)
      ? 'postgres'
      : undefined;
  if (!databaseProvider) {
    // Not the URL itself: it may hold a password.
    throw new ConfigError('DATABASE_URL must be file:… (SQLite) or postgres://… (PostgreSQL).');
  }
  const redisUrl = env.REDIS_URL || null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL must be redis://… or rediss://….');
  }
  return Object.freeze({
    mode,
    host: overrides.host ?? env.HOST ?? '127.0.0.1',
    port: overrides.port ?? integer('PORT', env.PORT, 4000, 0, 65535),
    dataDir,
    databaseUrl,
    databaseProvider,
    redisUrl,
    redisPrefix: env.TIDINGS_REDIS_PREFIX ?? 'tidings:',
    sqliteSynchronous: oneOf('TIDINGS_SQLITE_SYNCHRONOUS', env.TIDINGS_SQLITE_SYNCHRONOUS ?? 'FULL', [
      'FULL',
      'NORMAL',
    ] as const),
    logLevel: oneOf('TIDINGS_LOG_LEVEL', env.TIDINGS_LOG_LEVEL || 'info', LOG_LEVELS),
    auth: Object.freeze({
      issuer: env.TIDINGS_ISSUER ?? EMBEDDED_ISSUER,
      audience: env.TIDINGS_AUDIENCE ?? DEFAULT_AUDIENCE,
      appTokenTtlSeconds: integer('TIDINGS_APP_TOKEN_TTL', env.TIDINGS_APP_TOKEN_TTL, 3600, 60, 86_400),
      clockToleranceSeconds: integer('TIDINGS_CLOCK_TOLERANCE', env.TIDINGS_CLOCK_TOLERANCE, 5, 0, 300),
      external: externalIssuer(env),
    }),
    limits: Object.freeze({
      maxBodyBytes: integer('TIDINGS_MAX_BODY_BYTES', env.TIDINGS_MAX_BODY_BYTES, 102_400, 1024, 10_485_760),
      maxPendingChanges: integer(
        'TIDINGS_MAX_PENDING_CHANGES',
        env.TIDINGS_MAX_PENDING_CHANGES,
        1000,
        1,
        1_000_000,
      ),
      maxConnectionsPerUser: integer(
        'TIDINGS_MAX_CONNECTIONS_PER_USER',
        env.TIDINGS_MAX_CONNECTIONS_PER_USER,
        20,
        1,
        100_000,
      ),
      maxSubscriptionsPerConnection: integer(
        'TIDINGS_MAX_SUBSCRIPTIONS_PER_CONNECTION',
        env.TIDINGS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
        10,
        1,
        1000,
      ),
      connectionInitTimeoutMs: integer(
        'TIDINGS_CONNECTION_INIT_TIMEOUT_MS',
        env.TIDINGS_CONNECTION_INIT_TIMEOUT_MS,
        10_000,
        100,
        60_000,
      ),
      maxQueryDepth: integer('TIDINGS_MAX_QUERY_DEPTH', env.TIDINGS_MAX_QUERY_DEPTH, 8, 2, 50),
      maxAliases: integer('TIDINGS_MAX_ALIASES', env.TIDINGS_MAX_ALIASES, 20, 0, 1000),
      maxFields: integer('TIDINGS_MAX_FIELDS', env.TIDINGS_MAX_FIELDS, 150, 10, 10_000),
      appMutationsPerSecond: integer(
        'TIDINGS_APP_MUTATIONS_PER_SECOND',
        env.TIDINGS_APP_MUTATIONS_PER_SECOND,
        500,
        1,
        1_000_000,
      ),
      appMutationBurst: integer(
        'TIDINGS_APP_MUTATION_BURST',
        env.TIDINGS_APP_MUTATION_BURST,
        1000,
        1,
        1_000_000,
      ),
    }),
    retention: Object.freeze({
      logRetentionSeconds: integer(
        'TIDINGS_LOG_RETENTION',
        env.TIDINGS_LOG_RETENTION,
        30 * 86_400,
        60,
        3650 * 86_400,
      ),
      sweepIntervalMs: integer(
        'TIDINGS_SWEEP_INTERVAL_MS',
        env.TIDINGS_SWEEP_INTERVAL_MS,
        5000,
        0,
        3_600_000,
      ),
      deliveryFlushMs: integer(
        'TIDINGS_DELIVERY_FLUSH_MS',
        env.TIDINGS_DELIVERY_FLUSH_MS,
        1000,
        10,
        3_600_000,
      ),
    }),
  });
}

function externalIssuer(env: Env): ExternalIssuerConfig | null {
  const issuer = env.TIDINGS_EXTERNAL_ISSUER;
  const jwksUrl = env.TIDINGS_EXTERNAL_JWKS_URL;
  if (!issuer && !jwksUrl) return null;
  if (!issuer || !jwksUrl) {
    throw new ConfigError('Set both TIDINGS_EXTERNAL_ISSUER and TIDINGS_EXTERNAL_JWKS_URL, or neither.');
  }
  if (issuer === (env.TIDINGS_ISSUER ?? EMBEDDED_ISSUER)) {
    throw new ConfigError('TIDINGS_EXTERNAL_ISSUER must differ from the embedded issuer (TIDINGS_ISSUER).');
  }
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new ConfigError(`TIDINGS_EXTERNAL_JWKS_URL must be a URL (got ${JSON.stringify(jwksUrl)}).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('TIDINGS_EXTERNAL_JWKS_URL must be an https:// (or http://) URL.');
  }
  const algorithms = list(env.TIDINGS_EXTERNAL_ALGORITHMS, ['RS256', 'ES256']);
  for (const algorithm of algorithms) oneOf('TIDINGS_EXTERNAL_ALGORITHMS', algorithm, ASYMMETRIC_ALGORITHMS);
  return Object.freeze({
    issuer,
    jwksUrl: url,
    audience: env.TIDINGS_EXTERNAL_AUDIENCE || (env.TIDINGS_AUDIENCE ?? DEFAULT_AUDIENCE),
    algorithms,
    claims: Object.freeze({
      user: env.TIDINGS_CLAIM_USER || 'sub',
      app: env.TIDINGS_CLAIM_APP || 'azp',
      scopes: list(env.TIDINGS_CLAIM_SCOPES, ['scope', 'scp', 'roles']),
      tokenType: env.TIDINGS_CLAIM_TOKEN_TYPE || 'idtyp',
      appTokenType: env.TIDINGS_APP_TOKEN_TYPE || 'app',
    }),
    jwksCacheMaxAgeMs: integer(
      'TIDINGS_JWKS_CACHE_MAX_AGE_MS',
      env.TIDINGS_JWKS_CACHE_MAX_AGE_MS,
      600_000,
      0,
      86_400_000,
    ),
    jwksCooldownMs: integer('TIDINGS_JWKS_COOLDOWN_MS', env.TIDINGS_JWKS_COOLDOWN_MS, 30_000, 0, 3_600_000),
    jwksTimeoutMs: integer('TIDINGS_JWKS_TIMEOUT_MS', env.TIDINGS_JWKS_TIMEOUT_MS, 5000, 100, 60_000),
  });
}

/** A comma-separated list, or the fallback when unset. */
function list(raw: string | undefined, fallback: readonly string[]): readonly string[] {
  const items = (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return Object.freeze(items.length > 0 ? items : [...fallback]);
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)}).`);
  }
  return value;
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)}).`);
}
