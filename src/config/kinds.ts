// The kinds of value a setting can take: each parses the raw text of an environment variable or a flag,
// and says in words what it accepts, for error messages, `serve --help` and the README table.

import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';

/** A kind of value. `parse` returns undefined for text it does not accept; `accepts` says what it does. */
export interface Kind<T> {
  /** e.g. "an integer from 1 to 1000"; completes "<setting> must be …". */
  readonly accepts: string;
  /** The same, short, for the README table and `serve --help`, e.g. "1–1000", "FULL, NORMAL". */
  readonly summary: string;
  /** The placeholder of the flag's value in `serve --help`, e.g. N, DURATION, URL (a setting may name its own). */
  readonly placeholder: string;
  parse(raw: string): T | undefined;
  /** The value as a person would write it (defaults in the docs). */
  show(value: T): string;
}

export function integer(min: number, max: number): Kind<number> {
  return {
    accepts: `an integer from ${min} to ${max}`,
    summary: `${min}–${max}`,
    placeholder: 'N',
    parse(raw) {
      if (!/^[+-]?\d+$/.test(raw.trim())) return undefined;
      const value = Number(raw);
      return value >= min && value <= max ? value : undefined;
    },
    show: String,
  };
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/**
 * A length of time, kept as an integer in `unit` (the unit the variable's name implies: `_MS`
 * milliseconds, otherwise seconds). A plain number is in that unit, so existing values keep working;
 * a number with a unit (`500ms`, `30s`, `5m`, `1h`, `30d`) is converted.
 */
export function duration(unit: 'ms' | 's', min: number, max: number): Kind<number> {
  const perUnit = UNIT_MS[unit];
  return {
    accepts: `a duration from ${showDuration(min * perUnit)} to ${showDuration(max * perUnit)}: a number of ${
      unit === 'ms' ? 'milliseconds' : 'seconds'
    }, or one with a unit (ms, s, m, h, d)`,
    summary: `${showDuration(min * perUnit)}–${showDuration(max * perUnit)}`,
    placeholder: 'DURATION',
    parse(raw) {
      const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
      if (!match) return undefined;
      const inMs = Number(match[1]) * UNIT_MS[(match[2] ?? unit) as Unit];
      const value = inMs / perUnit;
      return Number.isInteger(value) && value >= min && value <= max ? value : undefined;
    },
    show: (value) => showDuration(value * perUnit),
  };
}

/** The largest unit that divides the time evenly: 2592000000 ms → "30d", 1500 ms → "1500ms". */
function showDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** One of a few words; matched without regard to case, returned as spelled in `allowed`. */
export function oneOf<T extends string>(allowed: readonly T[]): Kind<T> {
  return {
    accepts: `one of ${allowed.join(', ')}`,
    summary: allowed.join(', '),
    placeholder: allowed.join('|'),
    parse: (raw) => allowed.find((word) => word.toLowerCase() === raw.trim().toLowerCase()),
    show: (value) => value,
  };
}

/** A comma-separated list of words from `allowed`. */
export function listOf<T extends string>(allowed: readonly T[]): Kind<readonly T[]> {
  const word = oneOf(allowed);
  return {
    accepts: `a comma-separated list of ${allowed.join(', ')}`,
    summary: `list of ${allowed.join(', ')}`,
    placeholder: 'LIST',
    parse(raw) {
      const words = splitList(raw).map((item) => word.parse(item));
      return words.length > 0 && words.every((item) => item !== undefined) ? words : undefined;
    },
    show: (value) => value.join(','),
  };
}

/** A comma-separated list of names (claims). */
export const names: Kind<readonly string[]> = {
  accepts: 'a comma-separated list of names',
  summary: 'list of names',
  placeholder: 'LIST',
  parse: (raw) => {
    const items = splitList(raw);
    return items.length > 0 ? items : undefined;
  },
  show: (value) => value.join(','),
};

/**
 * A comma-separated list of web origins (`https://app.example.com`, `http://localhost:5173`), each kept as
 * browsers send it in `Origin` (scheme and host in lower case, no default port, no trailing slash); or `*`
 * alone, kept as `['*']`.
 */
export const origins: Kind<readonly string[]> = {
  accepts:
    'a comma-separated list of origins (scheme, host and port, no path) such as https://app.example.com, or * alone',
  summary: 'list of origins, or `*`',
  placeholder: 'ORIGINS',
  parse(raw) {
    const items = splitList(raw);
    if (items.length === 1 && items[0] === '*') return ['*'];
    const parsed = items.map(originOf);
    return parsed.length > 0 && parsed.every((item) => item !== undefined) ? parsed : undefined;
  },
  show: (value) => value.join(','),
};

/** `HTTPS://App.Example.com:443/` → `https://app.example.com`; undefined for anything but an http(s) origin. */
function originOf(text: string): string | undefined {
  // A path, query or fragment is never part of an origin: refused rather than silently dropped.
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(text) || !URL.canParse(text)) return undefined;
  const url = new URL(text);
  // The URL parser takes `*` and other marks in a host name; a host is letters, digits, dots and dashes
  // (international names in their xn-- form), or an IP address.
  const host = /^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname);
  return url.username || url.password || !host ? undefined : url.origin;
}

const splitList = (raw: string) =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Any text that is not only spaces. */
export const text: Kind<string> = {
  accepts: 'a non-empty text',
  summary: 'text',
  placeholder: 'VALUE',
  parse: (raw) => (raw.trim() === '' ? undefined : raw),
  show: (value) => value,
};

/** A URL whose scheme is one of `schemes` (without the colon), e.g. ['http', 'https']. */
export function url(schemes: readonly string[], example: string): Kind<string> {
  return {
    accepts: `a ${schemes.map((scheme) => `${scheme}:`).join(' or ')} URL such as ${example}`,
    summary: `${schemes.map((scheme) => `${scheme}:`).join(', ')} URL`,
    placeholder: 'URL',
    parse(raw) {
      const value = raw.trim();
      // `file:` URLs may be relative (file:./data/tidings.db); the others need an authority (scheme://).
      const scheme = schemes.find((name) =>
        value.toLowerCase().startsWith(name === 'file' ? 'file:' : `${name}://`),
      );
      if (scheme === undefined || !URL.canParse(value)) return undefined;
      // A file: URL must name a file: `file:` alone would open a temporary database, gone at exit.
      if (scheme === 'file' && value.length === 'file:'.length) return undefined;
      // The scheme in lower case, as the code that picks the store by it (`file:` is SQLite) reads it.
      return `${scheme}${value.slice(scheme.length)}`;
    },
    show: (value) => value,
  };
}

/**
 * A comma-separated list of IP addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`), and proxy-addr's
 * names for the usual ranges: `loopback`, `linklocal`, `uniquelocal`. Checked by proxy-addr itself, which
 * is what applies it (src/observability/client-address.ts).
 */
export const addressRanges: Kind<readonly string[]> = {
  accepts:
    'a comma-separated list of IP addresses, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal',
  summary: 'list of IP addresses, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`',
  placeholder: 'LIST',
  parse(raw) {
    const items = splitList(raw);
    if (items.length === 0) return undefined;
    try {
      proxyAddr.compile(items);
      return items;
    } catch {
      return undefined;
    }
  },
  show: (value) => value.join(','),
};

/** An address to listen on: a host (a name, an IPv4 address, or an IPv6 one in brackets) and a port. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:0`), or one of a few words. */
export function listenAddressOr<T extends string>(words: readonly T[]): Kind<T | ListenAddress> {
  const word = oneOf(words);
  return {
    accepts: `HOST:PORT (such as 127.0.0.1:9464, [::1]:9464; port 0 to 65535) or one of ${words.join(', ')}`,
    summary: `HOST:PORT, ${words.join(', ')}`,
    placeholder: 'HOST:PORT',
    parse(raw) {
      const value = raw.trim();
      const named = word.parse(value);
      if (named !== undefined) return named;
      const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
      const host = match?.[1] ?? match?.[2];
      const port = Number(match?.[3]);
      if (host === undefined || !(port >= 0 && port <= 65_535)) return undefined;
      if (match?.[1] !== undefined && isIP(host) !== 6) return undefined;
      return { host, port };
    },
    show: (value) =>
      typeof value === 'string'
        ? value
        : `${value.host.includes(':') ? `[${value.host}]` : value.host}:${value.port}`,
  };
}
