import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadPageScript, pageFile as page } from './page-script.js';

// Strict: the page's own script, style and connections (its GraphQL endpoint over HTTP and WebSocket;
// CSP 3's 'self' covers ws: and wss: on the same host), nothing inline, never framed.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Served from memory, built once per process: revalidate, so a new version is picked up after a restart.
  'cache-control': 'no-cache',
};

/** Runs `load` on first use and keeps its result; a failure is not kept, so the next request tries again. */
function once(load: () => Promise<string>): () => Promise<string> {
  let loading: Promise<string> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

function serve(
  contentType: string,
  load: () => Promise<string>,
  headers: Record<string, string> = {},
): Route {
  const content = once(load);
  return async (_, response) => {
    const body = await content();
    response.writeHead(200, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      ...COMMON_HEADERS,
      ...headers,
    });
    response.end(body);
  };
}

/**
 * The web inbox (GET /inbox): a small page that follows a user's feed with the client library, and its
 * service worker, which shows Web Push notifications while the page is closed. Each file
 * is read (the script bundled, when running from the sources) on its first request and kept in memory.
 */
export function createInboxRoutes(): Record<string, Route> {
  return {
    'GET /inbox': serve('text/html; charset=utf-8', () => readFile(page('index.html'), 'utf8'), {
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-frame-options': 'DENY',
    }),
    'GET /inbox/inbox.js': serve('text/javascript; charset=utf-8', () => loadPageScript('inbox.js')),
    // The service worker: its scope is the page's path, /inbox, which is not under the script's folder
    // (/inbox/): the header allows it. It fetches nothing and runs no other script.
    'GET /inbox/service-worker.js': serve(
      'text/javascript; charset=utf-8',
      () => loadPageScript('service-worker.js'),
      { 'service-worker-allowed': '/inbox', 'content-security-policy': "default-src 'none'" },
    ),
    'GET /inbox/inbox.css': serve('text/css; charset=utf-8', () => readFile(page('inbox.css'), 'utf8')),
  };
}
