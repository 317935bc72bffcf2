import type { Config } from '../config/config.js';
import { UsageError } from './cli-context.js';

/**
 * `--url` as given: the gateway's origin, or its /graphql URL.
 * @throws UsageError for anything but an http:// or https:// URL.
 */
export function graphqlEndpoint(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--url must be an http:// or https:// URL such as http://127.0.0.1:4000 (got ${JSON.stringify(raw)}).`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--url must be an http:// or https:// URL such as http://127.0.0.1:4000 (got ${JSON.stringify(raw)}).`,
    );
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url;
}

/**
 * Where `tidings serve` with the same environment listens: a wildcard address is reached on loopback.
 * @throws UsageError when PORT is 0 (any free port): only --url can say which.
 */
export function defaultEndpoint(config: Config): URL {
  if (config.port === 0) throw new UsageError('PORT is 0 (any free port): pass the gateway with --url.');
  const host =
    config.host === '0.0.0.0'
      ? '127.0.0.1'
      : config.host === '::'
        ? '[::1]'
        : config.host.includes(':')
          ? `[${config.host}]`
          : config.host;
  return new URL(`http://${host}:${config.port}/graphql`);
}
