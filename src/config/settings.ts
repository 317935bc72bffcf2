// Every setting of the gateway, once: its environment variable, the `serve` flag derived from it, the kind
// of value, the default and what it means. Loading (config.ts), flag parsing and `serve --help`
// (src/cli) and the README table (npm run docs:config) all come from this table.

import { LOG_LEVELS } from '../log-levels.js';
import {
  addressRanges,
  duration,
  integer,
  type Kind,
  listenAddressOr,
  listOf,
  names,
  oneOf,
  origins,
  text,
  url,
} from './kinds.js';

export interface Setting<T> {
  /** The environment variable, e.g. TIDINGS_MAX_BODY_BYTES. */
  readonly name: string;
  /** The `serve` flag without its dashes, derived from the name: max-body-bytes. */
  readonly flag: string;
  readonly kind: Kind<T>;
  /** The flag's value in `serve --help`, e.g. N, DURATION, DIR. */
  readonly placeholder: string;
  /** The value when neither the variable nor the flag is given; undefined: none, or derived from others. */
  readonly fallback: T | undefined;
  /** The default as the docs show it. */
  readonly defaultText: string;
  /** What it does, for the README and `serve --help` (Markdown backticks allowed). */
  readonly meaning: string;
  /** Never echoed in an error message: the value may hold a password. */
  readonly secret: boolean;
}

/** TIDINGS_MAX_BODY_BYTES → max-body-bytes; PORT → port. */
export const flagOf = (name: string): string =>
  name
    .replace(/^TIDINGS_/, '')
    .toLowerCase()
    .replaceAll('_', '-');

function setting<T>(
  name: string,
  kind: Kind<T>,
  fallback: T | undefined,
  meaning: string,
  extra: { defaultText?: string; secret?: boolean; placeholder?: string } = {},
): Setting<T> {
  return Object.freeze({
    name,
    flag: flagOf(name),
    kind,
    placeholder: extra.placeholder ?? kind.placeholder,
    fallback,
    defaultText: extra.defaultText ?? (fallback === undefined ? 'none' : `\`${kind.show(fallback)}\``),
    meaning,
    secret: extra.secret ?? false,
  });
}

/** Signatures an external issuer may use. Never HS* (a shared secret) and never `none`. */
export const ASYMMETRIC_ALGORITHMS = [
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

export const EMBEDDED_ISSUER = 'urn:tidings:embedded';

export const SETTINGS = {
  port: setting('PORT', integer(0, 65535), 4000, 'HTTP and WebSocket port (`0`: any free port)'),
  host: setting('HOST', text, '127.0.0.1', 'interface to listen on (`0.0.0.0` to accept remote clients)', {
    placeholder: 'ADDRESS',
  }),
  trustedProxies: setting(
    'TIDINGS_TRUSTED_PROXIES',
    addressRanges,
    undefined,
    'reverse proxies whose `X-Forwarded-For` is believed: behind them, the client address (logs) is the last one they forwarded that is not itself a trusted proxy; from any other peer the header is ignored (see Production)',
  ),
  dataDir: setting('TIDINGS_DATA_DIR', text, './data', 'folder of the SQLite database and the signing key', {
    placeholder: 'DIR',
  }),
  mode: setting(
    'TIDINGS_MODE',
    oneOf(['development', 'production'] as const),
    undefined,
    '`production` turns off introspection, field suggestions and Apollo Sandbox',
    { defaultText: '`development` (`production` when `NODE_ENV=production`)' },
  ),
  databaseUrl: setting(
    'DATABASE_URL',
    url(['file', 'postgres', 'postgresql'], 'file:./data/tidings.db or postgres://host/db'),
    undefined,
    'the store: SQLite (`file:`) or PostgreSQL (`postgres://…`, `?schema=name` for another schema)',
    { defaultText: '`file:<data dir>/tidings.db`', secret: true },
  ),
  redisUrl: setting(
    'REDIS_URL',
    url(['redis', 'rediss'], 'redis://host:6379'),
    undefined,
    'Redis for the fan-out across processes',
    { defaultText: 'none (in memory)', secret: true },
  ),
  redisPrefix: setting(
    'TIDINGS_REDIS_PREFIX',
    text,
    'tidings:',
    'prefix of the Redis channels, so deployments can share a Redis',
  ),
  sqliteSynchronous: setting(
    'TIDINGS_SQLITE_SYNCHRONOUS',
    oneOf(['FULL', 'NORMAL'] as const),
    'FULL',
    '`FULL` survives power loss; `NORMAL` commits faster and survives a process crash (see Durability)',
  ),
  sqliteWriteThread: setting(
    'TIDINGS_SQLITE_WRITE_THREAD',
    oneOf(['auto', 'on', 'off'] as const),
    'auto',
    "SQLite: posts and delivery marks commit on a worker thread, so a commit's fsync never holds the event loop; `auto`: when the process may run on more than one CPU (see Decisions)",
  ),
  postgresConnectTimeout: setting(
    'TIDINGS_POSTGRES_CONNECT_TIMEOUT_MS',
    duration('ms', 100, 60_000),
    5000,
    'PostgreSQL: longest wait to open a connection, get a free one from the pool, or start a transaction (then `SERVICE_UNAVAILABLE`)',
  ),
  postgresStatementTimeout: setting(
    'TIDINGS_POSTGRES_STATEMENT_TIMEOUT_MS',
    duration('ms', 100, 600_000),
    5000,
    'PostgreSQL: longest a statement may run, lock waits included (`statement_timeout`); a connection silent 1 s past it is dropped',
  ),
  postgresTransactionTimeout: setting(
    'TIDINGS_POSTGRES_TRANSACTION_TIMEOUT_MS',
    duration('ms', 100, 600_000),
    10_000,
    'PostgreSQL: longest a write transaction may take before it is rolled back; the server ends a session idle in a transaction this long (its locks freed)',
  ),
  logLevel: setting(
    'TIDINGS_LOG_LEVEL',
    oneOf(LOG_LEVELS),
    'info',
    'least severe log lines written (JSON on stderr); `silent` writes none',
  ),
  corsOrigins: setting(
    'TIDINGS_CORS_ORIGINS',
    origins,
    undefined,
    'origins whose web pages may call the gateway from a browser (CORS on `/graphql`, the Graph route and `/oauth2/token`; the WebSocket upgrade checks `Origin` too); `*`: any (see Browsers on other origins)',
    {
      defaultText:
        'production: none; development: `http://` and `https://` `localhost`, `127.0.0.1`, `[::1]` on any port',
    },
  ),
  metricsAddress: setting(
    'TIDINGS_METRICS_ADDRESS',
    listenAddressOr(['public', 'off'] as const),
    undefined,
    'where `GET /metrics` is served: its own listener (`HOST:PORT`, beside `/healthz` and `/readyz`), `public` (the public port) or `off`',
    { defaultText: '`public` in development, `off` in production' },
  ),
  issuer: setting('TIDINGS_ISSUER', text, EMBEDDED_ISSUER, '`iss` of issued and accepted tokens'),
  audience: setting('TIDINGS_AUDIENCE', text, 'tidings', '`aud` of issued and accepted tokens'),
  appTokenTtl: setting('TIDINGS_APP_TOKEN_TTL', duration('s', 60, 86_400), 3600, 'app token lifetime'),
  clockTolerance: setting(
    'TIDINGS_CLOCK_TOLERANCE',
    duration('s', 0, 300),
    5,
    'clock skew tolerated on `exp` and `nbf`, both issuers',
  ),
  externalIssuer: setting(
    'TIDINGS_EXTERNAL_ISSUER',
    text,
    undefined,
    '`iss` of an external OIDC issuer whose tokens are also accepted (see External issuer)',
  ),
  externalJwksUrl: setting(
    'TIDINGS_EXTERNAL_JWKS_URL',
    url(['https', 'http'], 'https://login.example.com/keys'),
    undefined,
    'its JSON Web Key Set URL (both or neither)',
  ),
  externalAudience: setting('TIDINGS_EXTERNAL_AUDIENCE', text, undefined, '`aud` its tokens must carry', {
    defaultText: '`TIDINGS_AUDIENCE`',
  }),
  externalAlgorithms: setting(
    'TIDINGS_EXTERNAL_ALGORITHMS',
    listOf(ASYMMETRIC_ALGORITHMS),
    ['RS256', 'ES256'],
    'accepted signature algorithms; asymmetric ones only (`HS*` and `none` are refused)',
  ),
  claimUser: setting('TIDINGS_CLAIM_USER', text, 'sub', 'claim naming the user (Entra ID: `oid`)'),
  claimApp: setting(
    'TIDINGS_CLAIM_APP',
    text,
    'azp',
    'claim naming the app the token was issued to (Entra ID v1: `appid`)',
  ),
  claimScopes: setting(
    'TIDINGS_CLAIM_SCOPES',
    names,
    ['scope', 'scp', 'roles'],
    'claims holding scopes or roles (strings or arrays), all read',
  ),
  claimTokenType: setting(
    'TIDINGS_CLAIM_TOKEN_TYPE',
    text,
    'idtyp',
    'the claim that marks an app token (Auth0: `gty`)',
  ),
  appTokenType: setting(
    'TIDINGS_APP_TOKEN_TYPE',
    text,
    'app',
    'its value in app tokens (Auth0: `client-credentials`)',
  ),
  jwksCacheMaxAge: setting(
    'TIDINGS_JWKS_CACHE_MAX_AGE_MS',
    duration('ms', 0, 86_400_000),
    600_000,
    'how long keys fetched from the external issuer are used',
  ),
  jwksCooldown: setting(
    'TIDINGS_JWKS_COOLDOWN_MS',
    duration('ms', 0, 3_600_000),
    30_000,
    'least time between two key fetches (an unknown `kid` fetches again after it)',
  ),
  jwksTimeout: setting('TIDINGS_JWKS_TIMEOUT_MS', duration('ms', 100, 60_000), 5000, 'key fetch timeout'),
  maxBodyBytes: setting(
    'TIDINGS_MAX_BODY_BYTES',
    integer(1024, 10_485_760),
    102_400,
    'largest HTTP body and WebSocket message, bytes',
  ),
  maxPendingChanges: setting(
    'TIDINGS_MAX_PENDING_CHANGES',
    integer(1, 1_000_000),
    1000,
    'wake-ups (one per transaction) waiting for one live feed before its socket is closed with 4008; also the most changes a feed holds in memory (it reads more from the store)',
  ),
  maxConnectionsPerUser: setting(
    'TIDINGS_MAX_CONNECTIONS_PER_USER',
    integer(1, 100_000),
    20,
    'open sockets one user (in one app) may hold on one process; more close with 4030',
  ),
  maxDevicesPerUser: setting(
    'TIDINGS_MAX_DEVICES_PER_USER',
    integer(1, 100_000),
    100,
    'live (unexpired) device subscriptions one user may hold in one app; more get `LIMIT_EXCEEDED`',
  ),
  maxSubscriptionsPerConnection: setting(
    'TIDINGS_MAX_SUBSCRIPTIONS_PER_CONNECTION',
    integer(1, 1000),
    10,
    'operations at once on one socket; more get `LIMIT_EXCEEDED`',
  ),
  connectionInitTimeout: setting(
    'TIDINGS_CONNECTION_INIT_TIMEOUT_MS',
    duration('ms', 100, 60_000),
    10_000,
    'a socket that sends no `connection_init` in this time is closed with 4408',
  ),
  keepAlive: setting(
    'TIDINGS_KEEP_ALIVE_MS',
    duration('ms', 100, 600_000),
    // As Socket.IO's and Centrifugo's 25 s, under the 60 s idle timeouts of nginx and most load balancers.
    // Each ping and its pong cost ≈ 40 µs of CPU (a write and a read per socket): at 12 s, 10,000 idle
    // sockets took ≈ 33 ms of CPU per second; a dead peer is still cut within two rounds (≤ 50 s).
    25_000,
    'every socket is pinged this often; one that did not answer the previous ping is cut',
  ),
  httpKeepAliveTimeout: setting(
    'TIDINGS_HTTP_KEEP_ALIVE_TIMEOUT_MS',
    duration('ms', 1000, 3_600_000),
    // Node's own default is 5 s, far under the 60 s a reverse proxy or load balancer keeps an idle
    // connection to its upstream (nginx's upstream keepalive_timeout, AWS ALB's idle timeout): the
    // gateway then closed connections the proxy was about to reuse, and a POST sent on one in that
    // instant failed (nginx answers 502 and does not retry a POST). Longer than the proxy's, the proxy
    // closes first. 72 s as Fastify's default, for the same reason.
    72_000,
    "an idle HTTP keep-alive connection is closed after this long; keep it above your proxy's or load balancer's idle timeout",
  ),
  webSocketCompression: setting(
    'TIDINGS_WS_COMPRESSION',
    oneOf(['off', 'permessage-deflate'] as const),
    'off',
    '`permessage-deflate` compresses WebSocket frames for clients that offer it: smaller frames, but a zlib context per socket (tens of KiB each) and CPU per frame',
  ),
  maxQueryTokens: setting(
    'TIDINGS_MAX_QUERY_TOKENS',
    integer(200, 1500),
    1000,
    "lexical tokens in a GraphQL document; more are refused unparsed (`GRAPHQL_PARSE_FAILED`). At most 1,500: nested about 2,000 deep, a document overflows graphql-js's parser",
  ),
  maxQueryDepth: setting(
    'TIDINGS_MAX_QUERY_DEPTH',
    integer(2, 50),
    8,
    'deepest selection nesting of an operation (introspection has its own budget, see Security)',
  ),
  maxAliases: setting('TIDINGS_MAX_ALIASES', integer(0, 1000), 20, 'aliased fields in an operation'),
  maxFields: setting(
    'TIDINGS_MAX_FIELDS',
    integer(10, 10_000),
    150,
    'fields in an operation, each fragment use counted',
  ),
  appMutationsPerSecond: setting(
    'TIDINGS_APP_MUTATIONS_PER_SECOND',
    integer(1, 1_000_000),
    500,
    "an app's sustained mutation rate, per process (then `RATE_LIMITED`, HTTP 429 + `Retry-After`)",
  ),
  appMutationBurst: setting(
    'TIDINGS_APP_MUTATION_BURST',
    integer(1, 1_000_000),
    1000,
    "an app's mutation burst, per process",
  ),
  userMutationsPerSecond: setting(
    'TIDINGS_USER_MUTATIONS_PER_SECOND',
    integer(1, 1_000_000),
    10,
    "a user's sustained mutation rate in one app, per process (then `RATE_LIMITED`, HTTP 429 + `Retry-After`)",
  ),
  userMutationBurst: setting(
    'TIDINGS_USER_MUTATION_BURST',
    integer(1, 1_000_000),
    100,
    "a user's mutation burst in one app, per process",
  ),
  logRetention: setting(
    'TIDINGS_LOG_RETENTION',
    duration('s', 60, 3650 * 86_400),
    30 * 86_400,
    'how long the change log, delivery marks, tombstones and expired device subscriptions are kept; older cursors resync',
  ),
  sweepInterval: setting(
    'TIDINGS_SWEEP_INTERVAL_MS',
    duration('ms', 0, 3_600_000),
    5000,
    'least time between sweeps (expiry, fallbacks, purge): what this process made due is swept at most this late; between, the sweeper sleeps until the next thing falls due, at most 60 s (see Decisions); `0` turns the timer off',
  ),
  deliveryFlush: setting(
    'TIDINGS_DELIVERY_FLUSH_MS',
    duration('ms', 10, 3_600_000),
    1000,
    'time between writes of delivery marks',
  ),
  webPush: setting(
    'TIDINGS_WEB_PUSH',
    oneOf(['on', 'off'] as const),
    undefined,
    'Web Push to WEB devices that hold a push subscription and are not live (its VAPID key pair is made on first start and kept in the store; see Web Push)',
    { defaultText: '`on` (in production: `on` when `TIDINGS_WEB_PUSH_SUBJECT` is set)' },
  ),
  webPushSubject: setting(
    'TIDINGS_WEB_PUSH_SUBJECT',
    text,
    undefined,
    'the VAPID `sub`: a `mailto:` or `https:` URL where push services can reach the operator; required in production while Web Push is on',
    { defaultText: '`mailto:tidings@localhost` in development', placeholder: 'URL' },
  ),
  webPushDelay: setting(
    'TIDINGS_WEB_PUSH_DELAY',
    duration('ms', 0, 3_600_000),
    5000,
    'how long a change may wait to reach a device live before it is pushed instead; at least `TIDINGS_DELIVERY_FLUSH_MS` + 1 s (live deliveries are recorded that often)',
  ),
  webPushInterval: setting(
    'TIDINGS_WEB_PUSH_INTERVAL_MS',
    duration('ms', 0, 60_000),
    1000,
    'the least time between looks for due pushes, and the most a due push waits for one (on SQLite the timer sleeps while nothing falls due, see Web Push); `0` turns the timer off',
  ),
  webPushTimeout: setting(
    'TIDINGS_WEB_PUSH_TIMEOUT',
    duration('ms', 100, 120_000),
    10_000,
    'longest wait for a push service to answer one push (then it counts as a failure to retry)',
  ),
  webPushAllowInsecureLocalhost: setting(
    'TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST',
    oneOf(['on', 'off'] as const),
    'off',
    'accept `http://127.0.0.1` and `http://localhost` push endpoints (tests with a local push service stand-in); never in production',
  ),
} as const;

/** The table in the order the docs show it. */
export const ALL_SETTINGS: readonly Setting<unknown>[] = Object.values(SETTINGS);
