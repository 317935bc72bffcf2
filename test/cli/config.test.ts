import { describe, expect, it } from 'vitest';
import { startChildGateway } from '../support/child-gateway.js';
import { tidings } from '../support/cli.js';
import { temporaryDataDir } from '../support/gateway.js';

// Settings through the real bin: a bad value stops `serve` before it opens anything, with exit code 2
// and one line per bad setting; a flag wins over the environment.
describe('settings given to tidings serve', () => {
  it('refuses a bad value of each kind with a line naming it, the value and what is allowed', async () => {
    const dataDir = temporaryDataDir();
    const result = await tidings(
      [
        'serve',
        '--port',
        '0',
        '--log-retention',
        '2 years', // a duration
        '--mode',
        'staging', // an enumeration
      ],
      dataDir,
      {
        TIDINGS_MAX_BODY_BYTES: '100kb', // a number
        TIDINGS_EXTERNAL_ISSUER: 'https://login.example.test/',
        TIDINGS_EXTERNAL_JWKS_URL: 'login.example.test/keys', // a URL
        TIDINGS_EXTERNAL_ALGORITHMS: 'HS256', // a list
      },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      'tidings: --mode must be one of development, production (got "staging").',
      'tidings: TIDINGS_EXTERNAL_JWKS_URL must be a https: or http: URL such as https://login.example.com/keys (got "login.example.test/keys").',
      'tidings: TIDINGS_EXTERNAL_ALGORITHMS must be a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519 (got "HS256").',
      'tidings: TIDINGS_MAX_BODY_BYTES must be an integer from 1024 to 10485760 (got "100kb").',
      'tidings: --log-retention must be a duration from 1m to 3650d: a number of seconds, or one with a unit (ms, s, m, h, d) (got "2 years").',
      '',
    ]);
  });

  it('refuses a URL without echoing it, and a setting that needs its partner', async () => {
    const dataDir = temporaryDataDir();
    const badUrl = await tidings(['serve'], dataDir, { REDIS_URL: 'http://:hunter2@cache.internal' });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toBe(
      'tidings: REDIS_URL must be a redis: or rediss: URL such as redis://host:6379.\n',
    );
    const alone = await tidings(['serve', '--external-issuer', 'https://login.example.test/'], dataDir);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toBe(
      'tidings: Set both TIDINGS_EXTERNAL_ISSUER and TIDINGS_EXTERNAL_JWKS_URL, or neither.\n',
    );
    // Other commands read the same settings from the environment, and refuse them the same way.
    const apps = await tidings(['apps', 'list'], dataDir, { TIDINGS_SQLITE_SYNCHRONOUS: 'OFF' });
    expect(apps.code).toBe(2);
    expect(apps.stderr).toBe(
      'tidings: TIDINGS_SQLITE_SYNCHRONOUS must be one of FULL, NORMAL (got "OFF").\n',
    );
  });

  it('lets a flag win over the environment variable', async () => {
    const dataDir = temporaryDataDir();
    // The variables would stop the start if they were read at all.
    const server = await startChildGateway(
      { TIDINGS_MODE: 'production', TIDINGS_MAX_BODY_BYTES: '100kb' },
      dataDir,
      ['--mode', 'development', '--max-body-bytes', '1024'],
    );
    expect(server.output()).toMatch(/listening on \S+ \(development; data in /);
    const post = (bytes: number) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ __typename }${' '.repeat(bytes)}` }),
      });
    expect((await post(2048)).status).toBe(413);
    expect((await post(100)).status).not.toBe(413);
    expect(await server.stop()).toBe(0);
  });
});
