import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { ALL_SETTINGS, flagOf } from '../../src/config/settings.js';
import { withSettingsTable } from '../../src/config/settings-docs.js';

const problemsOf = (load: () => unknown): readonly string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
};

describe('the settings table', () => {
  it('is what the README shows (run `npm run docs:config` after changing src/config/settings.ts)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('holds every environment variable the sources read or name, each with its own derived flag', () => {
    const names = new Set(ALL_SETTINGS.map((setting) => setting.name));
    const flags = ALL_SETTINGS.map((setting) => setting.flag);
    expect(new Set(flags).size).toBe(flags.length);
    for (const setting of ALL_SETTINGS) expect(setting.flag).toBe(flagOf(setting.name));
    expect(flagOf('TIDINGS_RATE_LIMIT_PER_MINUTE')).toBe('rate-limit-per-minute');

    // A variable read anywhere in src/ without an entry here would be missing from the docs and flags.
    const mentioned = new Set<string>();
    for (const file of sourceFiles('src')) {
      const source = readFileSync(file, 'utf8');
      for (const [, name] of source.matchAll(/\b(TIDINGS_[A-Z0-9_]+)\b/g)) mentioned.add(name as string);
      for (const [, name] of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) mentioned.add(name as string);
    }
    // Node's own variables: NODE_OPTIONS is read only to advise on it (serve's banner on one CPU).
    const outside = [...mentioned].filter(
      (name) => !names.has(name) && !['NODE_ENV', 'DEBUG', 'NODE_OPTIONS'].includes(name),
    );
    expect(outside).toEqual([]);
    expect(mentioned.size).toBeGreaterThan(20);
  });
});

describe('loading settings', () => {
  it('gives the documented defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'development',
      host: '127.0.0.1',
      port: 4000,
      databaseProvider: 'sqlite',
      redisUrl: null,
      sqliteSynchronous: 'FULL',
      auth: { issuer: 'urn:tidings:embedded', audience: 'tidings', appTokenTtlSeconds: 3600, external: null },
      limits: { maxBodyBytes: 102_400, maxQueryDepth: 8, appMutationBurst: 1000 },
      retention: { logRetentionSeconds: 2_592_000, sweepIntervalMs: 5000, deliveryFlushMs: 1000 },
      postgres: { connectTimeoutMs: 5000, statementTimeoutMs: 5000, transactionTimeoutMs: 10_000 },
    });
    expect(loadConfig({ NODE_ENV: 'production' }).mode).toBe('production');
  });

  it('reads durations as plain numbers in the unit of the name, or with a unit', () => {
    const config = loadConfig({
      TIDINGS_LOG_RETENTION: '7d',
      TIDINGS_APP_TOKEN_TTL: '900',
      TIDINGS_SWEEP_INTERVAL_MS: '250',
      TIDINGS_DELIVERY_FLUSH_MS: '2s',
      TIDINGS_CONNECTION_INIT_TIMEOUT_MS: '1m',
      TIDINGS_CLOCK_TOLERANCE: '0',
    });
    expect(config.retention).toMatchObject({
      logRetentionSeconds: 604_800,
      sweepIntervalMs: 250,
      deliveryFlushMs: 2000,
    });
    expect(config.auth).toMatchObject({ appTokenTtlSeconds: 900, clockToleranceSeconds: 0 });
    expect(config.limits.connectionInitTimeoutMs).toBe(60_000);
    // Less than the setting's unit cannot be kept: refused rather than rounded.
    expect(problemsOf(() => loadConfig({ TIDINGS_APP_TOKEN_TTL: '90500ms' }))).toEqual([
      'TIDINGS_APP_TOKEN_TTL must be a duration from 1m to 1d: a number of seconds, or one with a unit (ms, s, m, h, d) (got "90500ms").',
    ]);
  });

  it('lets a flag win over the variable, which is then not even read', () => {
    const env = { TIDINGS_MAX_QUERY_DEPTH: 'deep', TIDINGS_MODE: 'production', PORT: '5000' };
    const config = loadConfig(env, {}, { TIDINGS_MAX_QUERY_DEPTH: '5', TIDINGS_MODE: 'development' });
    expect(config.limits.maxQueryDepth).toBe(5);
    expect(config.mode).toBe('development');
    expect(config.port).toBe(5000);
    // Overrides from code (tests) win over both.
    expect(loadConfig(env, { port: 0 }, { PORT: '6000', TIDINGS_MAX_QUERY_DEPTH: '5' }).port).toBe(0);
  });

  it('reports every bad setting at once: its name or flag, the value given, what it accepts', () => {
    const problems = problemsOf(() =>
      loadConfig(
        {
          TIDINGS_MAX_BODY_BYTES: '10k',
          TIDINGS_SQLITE_SYNCHRONOUS: 'OFF',
          TIDINGS_EXTERNAL_ALGORITHMS: 'RS256,HS256',
          TIDINGS_JWKS_TIMEOUT_MS: '-5',
          TIDINGS_MODE: 'staging',
        },
        {},
        { PORT: '65536' },
      ),
    );
    expect(problems).toEqual([
      '--port must be an integer from 0 to 65535 (got "65536").',
      'TIDINGS_MODE must be one of development, production (got "staging").',
      'TIDINGS_SQLITE_SYNCHRONOUS must be one of FULL, NORMAL (got "OFF").',
      'TIDINGS_EXTERNAL_ALGORITHMS must be a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519 (got "RS256,HS256").',
      'TIDINGS_JWKS_TIMEOUT_MS must be a duration from 100ms to 1m: a number of milliseconds, or one with a unit (ms, s, m, h, d) (got "-5").',
      'TIDINGS_MAX_BODY_BYTES must be an integer from 1024 to 10485760 (got "10k").',
    ]);
  });

  it('never echoes a URL that may hold a password', () => {
    const problems = problemsOf(() =>
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x', REDIS_URL: 'http://:hunter2@cache' }),
    );
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems[0]).toMatch(/^DATABASE_URL must be a file: or postgres: or postgresql: URL/);
  });

  it('takes URL schemes in any case, as the store that reads them does, and refuses a file: URL without a file', () => {
    expect(loadConfig({ DATABASE_URL: 'FILE:/srv/tidings/tidings.db' })).toMatchObject({
      databaseProvider: 'sqlite',
      databaseUrl: 'file:/srv/tidings/tidings.db',
    });
    expect(loadConfig({ DATABASE_URL: 'PostgreSQL://db/tidings' })).toMatchObject({
      databaseProvider: 'postgres',
      databaseUrl: 'postgresql://db/tidings',
    });
    expect(problemsOf(() => loadConfig({ DATABASE_URL: 'file:' }))).toEqual([
      'DATABASE_URL must be a file: or postgres: or postgresql: URL such as file:./data/tidings.db or postgres://host/db.',
    ]);
  });

  it('reads trusted proxies and the metrics address; metrics leave the public port in production', () => {
    expect(loadConfig({})).toMatchObject({ trustedProxies: [], metricsAddress: 'public' });
    expect(loadConfig({ NODE_ENV: 'production' }).metricsAddress).toBe('off');
    const config = loadConfig({
      TIDINGS_MODE: 'production',
      TIDINGS_TRUSTED_PROXIES: 'loopback, 10.0.0.0/8,fd00::/8 ,192.0.2.7',
      TIDINGS_METRICS_ADDRESS: '[::1]:9464',
    });
    expect(config.trustedProxies).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
    expect(config.metricsAddress).toEqual({ host: '::1', port: 9464 });
    expect(loadConfig({ TIDINGS_METRICS_ADDRESS: 'metrics.internal:0' }).metricsAddress).toEqual({
      host: 'metrics.internal',
      port: 0,
    });
    expect(loadConfig({ TIDINGS_MODE: 'production', TIDINGS_METRICS_ADDRESS: 'PUBLIC' }).metricsAddress).toBe(
      'public',
    );
    const problems = problemsOf(() =>
      loadConfig({ TIDINGS_TRUSTED_PROXIES: '10.0.0.0/33,nginx', TIDINGS_METRICS_ADDRESS: '9464' }),
    );
    expect(problems).toEqual([
      'TIDINGS_TRUSTED_PROXIES must be a comma-separated list of IP addresses, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal (got "10.0.0.0/33,nginx").',
      'TIDINGS_METRICS_ADDRESS must be HOST:PORT (such as 127.0.0.1:9464, [::1]:9464; port 0 to 65535) or one of public, off (got "9464").',
    ]);
    expect(problemsOf(() => loadConfig({ TIDINGS_METRICS_ADDRESS: '[nope]:1' }))).toHaveLength(1);
    expect(problemsOf(() => loadConfig({ TIDINGS_METRICS_ADDRESS: '127.0.0.1:65536' }))).toHaveLength(1);
  });

  it('takes enum words in any case, counts an empty variable as unset, and refuses an empty flag', () => {
    const config = loadConfig({ TIDINGS_SQLITE_SYNCHRONOUS: 'normal', TIDINGS_MAX_FIELDS: '', HOST: '' });
    expect(config.sqliteSynchronous).toBe('NORMAL');
    expect(config.limits.maxFields).toBe(150);
    expect(config.host).toBe('127.0.0.1');
    expect(problemsOf(() => loadConfig({}, {}, { HOST: ' ' }))).toEqual([
      '--host must be a non-empty text (got " ").',
    ]);
  });

  it('takes browser origins as browsers send them, `*` alone, and defaults by mode', () => {
    const listed = loadConfig({
      TIDINGS_CORS_ORIGINS: 'HTTPS://App.Example.com:443/, http://localhost:5173 ,http://[::1]:8080',
    });
    expect(listed.allowedOrigins).toEqual({
      kind: 'listed',
      origins: ['https://app.example.com', 'http://localhost:5173', 'http://[::1]:8080'],
    });
    expect(loadConfig({ TIDINGS_CORS_ORIGINS: '*' }).allowedOrigins).toEqual({ kind: 'any' });
    expect(loadConfig({}).allowedOrigins).toEqual({ kind: 'loopback' });
    expect(loadConfig({ TIDINGS_MODE: 'production' }).allowedOrigins).toEqual({
      kind: 'listed',
      origins: [],
    });
    // Not an origin: a path, a query, credentials, another scheme, a wildcard among others, a bare host.
    for (const bad of [
      'https://app.example.com/inbox',
      'https://app.example.com?x=1',
      'https://user@app.example.com',
      'ftp://app.example.com',
      'https://app.example.com,*',
      'app.example.com',
      'https://*.example.com',
    ]) {
      expect(
        problemsOf(() => loadConfig({ TIDINGS_CORS_ORIGINS: bad })),
        bad,
      ).toEqual([
        `TIDINGS_CORS_ORIGINS must be a comma-separated list of origins (scheme, host and port, no path) such as https://app.example.com, or * alone (got ${JSON.stringify(bad)}).`,
      ]);
    }
  });

  it('turns Web Push on by default, in production only with a subject, and after live deliveries are recorded', () => {
    const production = { TIDINGS_MODE: 'production' };
    expect(loadConfig({}).webPush).toMatchObject({ enabled: true, subject: 'mailto:tidings@localhost' });
    expect(loadConfig(production).webPush.enabled).toBe(false);
    expect(
      loadConfig({ ...production, TIDINGS_WEB_PUSH_SUBJECT: 'mailto:ops@example.com' }).webPush,
    ).toMatchObject({ enabled: true, subject: 'mailto:ops@example.com' });
    expect(problemsOf(() => loadConfig({ ...production, TIDINGS_WEB_PUSH: 'on' }))).toEqual([
      'TIDINGS_WEB_PUSH_SUBJECT is required in production while Web Push is on (or set TIDINGS_WEB_PUSH=off).',
    ]);
    expect(problemsOf(() => loadConfig({ TIDINGS_WEB_PUSH_SUBJECT: 'ops@example.com' }))).toEqual([
      'TIDINGS_WEB_PUSH_SUBJECT must be a mailto: or https: URL.',
    ]);
    // Never shorter than the interval at which live deliveries are recorded.
    expect(
      loadConfig({ TIDINGS_WEB_PUSH_DELAY: '1s', TIDINGS_DELIVERY_FLUSH_MS: '2s' }).webPush.delayMs,
    ).toBe(3000);
    expect(loadConfig({ TIDINGS_WEB_PUSH_DELAY: '10s' }).webPush.delayMs).toBe(10_000);
    expect(
      problemsOf(() => loadConfig({ ...production, TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST: 'on' })),
    ).toEqual(['TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST is for tests: not in production.']);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}
