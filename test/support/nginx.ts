import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { onCleanup } from './cleanup.js';

/** Debian's nginx (`apt-get install -y nginx`); the reverse-proxy tests need it. */
export const NGINX = '/usr/sbin/nginx';
const OPENSSL = '/usr/bin/openssl';
/** The README, whose ```nginx block the tests run with their own port, certificate and upstream. */
const README = new URL('../../README.md', import.meta.url);
const EXAMPLE_CONFIG = "the README's nginx configuration";

/** The README's one ```nginx block: what operators copy is what the tests run. */
function documentedConfig(): string {
  const blocks = [...readFileSync(README, 'utf8').matchAll(/^```nginx\n([\s\S]*?)^```$/gm)];
  if (blocks.length !== 1 || !blocks[0]?.[1])
    throw new Error('README.md must hold exactly one ```nginx block.');
  return blocks[0][1];
}

export interface ProxyResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A client of the proxy: HTTPS and WSS from a local address of its own, trusting the test's certificate. */
export interface ProxyClient {
  request(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<ProxyResponse>;
  /** A `ws` WebSocket class for graphql-ws (`webSocketImpl`) that connects from this client's address. */
  readonly WebSocket: typeof WebSocket;
}

export interface Nginx {
  /** e.g. https://127.0.0.1:4431 */
  readonly origin: string;
  /** e.g. wss://127.0.0.1:4431/graphql */
  readonly wsUrl: string;
  /** A client connecting from `localAddress` (any 127.x.y.z: Linux routes all of 127/8 to loopback). */
  client(localAddress: string, extraHeaders?: Record<string, string>): ProxyClient;
  stop(): Promise<void>;
}

/**
 * Starts Debian's nginx as this user, in a temporary prefix, on a free port of 127.0.0.1, with the README's
 * configuration (its ```nginx block) in front of `upstream` (e.g. http://127.0.0.1:1234): TLS with a
 * self-signed certificate made here (openssl), WebSocket upgrades, `X-Forwarded-For`. nginx connects to the
 * upstream from `proxyAddress`, so that a test can tell the proxy from its clients. Stopped when the test
 * file ends.
 * @throws Error (one line) when nginx or openssl is not installed.
 */
export async function startNginx(upstream: string, proxyAddress: string): Promise<Nginx> {
  for (const [path, pkg] of [
    [NGINX, 'nginx'],
    [OPENSSL, 'openssl'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: install it with apt-get install -y ${pkg}`);
  }
  const prefix = mkdtempSync(join(tmpdir(), 'tidings-nginx-'));
  onCleanup(() => rmSync(prefix, { recursive: true, force: true }));
  const cert = join(prefix, 'cert.pem');
  const key = join(prefix, 'key.pem');
  await promisify(execFile)(OPENSSL, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  const ca = readFileSync(cert, 'utf8');
  const upstreamHost = new URL(upstream).host;

  // A free port can be taken by another test between our check and nginx's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const site = siteConfig({ port, cert, key, upstreamHost, proxyAddress });
    writeFileSync(join(prefix, 'tidings.conf'), site);
    writeFileSync(join(prefix, 'nginx.conf'), mainConfig(prefix));
    for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      mkdirSync(join(prefix, dir), { recursive: true });
    const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (chunk) => {
      errors += chunk;
    });
    const exited = once(child, 'exit');
    const stop = () => stopChild(child, exited);
    onCleanup(stop);
    if (await accepting(port, child)) {
      const origin = `https://127.0.0.1:${port}`;
      return {
        origin,
        wsUrl: `wss://127.0.0.1:${port}/graphql`,
        client: (localAddress, extraHeaders = {}) => proxyClient(origin, ca, localAddress, extraHeaders),
        stop,
      };
    }
    await stop();
    if (!errors.includes('Address already in use') || attempt >= 5) {
      throw new Error(`nginx did not start: ${errors.trim()}`);
    }
  }
}

/** The example configuration, pointed at the test's port, certificate and upstream. */
function siteConfig(options: {
  port: number;
  cert: string;
  key: string;
  upstreamHost: string;
  proxyAddress: string;
}): string {
  const replacements: Array<[string, string]> = [
    ['listen 443 ssl;', `listen 127.0.0.1:${options.port} ssl;`],
    ['/etc/ssl/tidings/fullchain.pem', options.cert],
    ['/etc/ssl/tidings/privkey.pem', options.key],
    ['server 127.0.0.1:4000;', `server ${options.upstreamHost};`],
    ['proxy_pass http://tidings;', `proxy_pass http://tidings;\n        proxy_bind ${options.proxyAddress};`],
  ];
  let config = documentedConfig();
  for (const [from, to] of replacements) {
    if (!config.includes(from)) throw new Error(`${EXAMPLE_CONFIG} no longer holds "${from}"`);
    config = config.replace(from, to);
  }
  return config;
}

/** nginx.conf for one unprivileged process in the foreground, every path in `prefix`. */
const mainConfig = (prefix: string) => `daemon off;
master_process off;
pid ${join(prefix, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${join(prefix, 'body')};
    proxy_temp_path ${join(prefix, 'proxy')};
    fastcgi_temp_path ${join(prefix, 'fastcgi')};
    uwsgi_temp_path ${join(prefix, 'uwsgi')};
    scgi_temp_path ${join(prefix, 'scgi')};
    include ${join(prefix, 'tidings.conf')};
}
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether nginx completes TLS handshakes on `port`, polled until it does or exits (at most 10 s). */
async function accepting(port: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (child.exitCode === null && Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function proxyClient(
  origin: string,
  ca: string,
  localAddress: string,
  extraHeaders: Record<string, string>,
): ProxyClient {
  return {
    request: (method, path, options = {}) =>
      new Promise<ProxyResponse>((resolve, reject) => {
        const request = httpsRequest(
          `${origin}${path}`,
          { method, ca, localAddress, headers: { ...extraHeaders, ...options.headers }, timeout: 10_000 },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => {
              body += chunk;
            });
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
            );
            response.on('error', reject);
          },
        );
        request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
        request.on('error', reject);
        request.end(options.body);
      }),
    // graphql-ws constructs it with (url, protocol) only.
    WebSocket: class extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[]) {
        super(address, protocols, { ca, localAddress, headers: extraHeaders });
      }
    } as typeof WebSocket,
  };
}
