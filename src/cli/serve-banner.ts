import type { Config } from '../config/config.js';
import { SETTINGS } from '../config/settings.js';
import type { Gateway } from '../gateway.js';
import { sqliteWritesOnThread } from '../store/create-store.js';

/**
 * What `tidings serve` prints once it listens. In production: what an operator checks (the URL, the mode,
 * the store and fan-out without credentials, where metrics are, the signing key, which proxies are
 * trusted). In development: the same, then the commands that give tokens.
 */
export function startBanner(
  gateway: Gateway,
  config: Config,
  dataDirFlag: string,
  oneCpu: string | undefined,
): string {
  const base = gateway.url.replace(/\/graphql$/, '');
  const lines = [
    `Tidings is listening on ${gateway.url} (${config.mode}; data in ${config.dataDir})`,
    `  store:    ${describeStore(config)}`,
    `  fan-out:  ${config.redisUrl ? `Redis at ${describeServer(config.redisUrl)}` : 'in memory (one process)'}`,
    `  health:   ${base}/healthz, ${base}/readyz`,
    `  metrics:  ${
      gateway.metricsUrl ??
      `off (set ${SETTINGS.metricsAddress.name} to serve them on an address of their own)`
    }`,
    `  signing:  ${signingKeys(gateway)}`,
    `  proxies:  ${
      config.trustedProxies.length > 0
        ? `X-Forwarded-For believed from ${config.trustedProxies.join(', ')}`
        : `none trusted (${SETTINGS.trustedProxies.name}): client addresses are the peers'`
    }`,
  ];
  if (oneCpu) lines.push(`  one CPU:  ${oneCpu}`);
  if (config.mode === 'production') return `${lines.join('\n')}\n`;
  return `${lines.join('\n')}
Open ${gateway.url} in a browser for Apollo Sandbox, ${base}/inbox for the web inbox.

Get tokens for development, in another terminal:
  npm run --silent tidings -- apps create --host app.example.com${dataDirFlag}   # prints a client id and secret, once
  curl -s -u <client id>:<client secret> -d grant_type=client_credentials ${base}/oauth2/token   # app token
  npm run --silent tidings -- token user alice --app <client id>${dataDirFlag}   # user token for alice
`;
}

/** The embedded issuer's key ids: the one it signs with, and those it also verifies (a rotation). */
function signingKeys(gateway: Gateway): string {
  const [active, ...others] = gateway.issuer.jwks.keys.map((key) => key.kid);
  return `key ${active}${others.length > 0 ? `; also verifies ${others.join(', ')} (tidings keys list)` : ''}`;
}

/** The store without credentials: SQLite's file, or PostgreSQL's host, database and schema. */
function describeStore(config: Config): string {
  if (config.databaseProvider === 'sqlite') {
    // Where posts commit says what to expect of the latency tail (TIDINGS_SQLITE_WRITE_THREAD).
    const commits = sqliteWritesOnThread(config.sqliteWriteThread) ? 'a writer thread' : 'the event loop';
    return `SQLite ${config.databaseUrl.slice('file:'.length)} (synchronous=${config.sqliteSynchronous}; posts commit on ${commits})`;
  }
  const schema = new URL(config.databaseUrl).searchParams.get('schema');
  return `PostgreSQL at ${describeServer(config.databaseUrl)}${schema ? `, schema ${schema}` : ''}`;
}

/** `host:port/path` of a server URL: never its user, password or query (they may hold secrets). */
function describeServer(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname === '/' ? '' : decodeURIComponent(parsed.pathname);
  const tls = parsed.protocol === 'rediss:' ? ' (TLS)' : '';
  return `${parsed.host}${path}${tls}`;
}

/**
 * Advice for a process that may run on one CPU only (its affinity: `taskset`, a container's cpuset; a
 * quota such as `docker run --cpus=1` is not seen) and whose V8 pool was not sized to it: Node gives V8
 * four background threads whatever the CPUs, and in a major collection they mark beside the event loop,
 * which on one CPU waits for them for tens of milliseconds. One thread (`--v8-pool-size=1`; `=0` sizes
 * the pool to what Node counts, one here): p99 from post to device at 1,000 posts/s on SQLite 20–22.5 →
 * 7.6–9.9 ms (bench latency, 2026-12-05). It can only be given at start (NODE_OPTIONS or node's command
 * line): V8 neither resizes its pool nor changes its collector's threading once running (setting
 * --single-threaded-gc at run time aborted the process).
 */
export function oneCpuAdvice(cpus: number, nodeOptions: readonly string[]): string | undefined {
  if (cpus > 1) return undefined;
  const size = poolSize(nodeOptions);
  if (size !== undefined && size <= 1) return undefined;
  return "start node with --v8-pool-size=1 (e.g. NODE_OPTIONS=--v8-pool-size=1): V8's four background threads otherwise take the CPU from the event loop in every major collection";
}

/** The last `--v8-pool-size` Node was given (`=N` or `N` after it; `_` for `-` as Node allows), as Node reads it. */
function poolSize(nodeOptions: readonly string[]): number | undefined {
  let size: number | undefined;
  for (const [i, option] of nodeOptions.entries()) {
    const name = option.split('=', 1)[0]?.replaceAll('_', '-');
    if (name !== '--v8-pool-size') continue;
    size = Number(option.includes('=') ? option.slice(option.indexOf('=') + 1) : nodeOptions[i + 1]);
  }
  return size;
}
