import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';

/** The address of the client behind a request (HTTP, or a WebSocket's upgrade). */
export type ClientAddressOf = (request: IncomingMessage) => string;

/**
 * Reads the client's address as Express's `trust proxy` does (proxy-addr): the peer's address, unless the
 * peer is one of `trustedProxies` (addresses, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`); then
 * `X-Forwarded-For` is walked from its end, over trusted proxies, to the first address that is not one.
 * A header from any other peer is ignored, so a client cannot choose its own address. With no trusted
 * proxies (the default) the header is never read.
 * @throws TypeError when an entry of `trustedProxies` is not an address or range (config.ts checks first).
 */
export function createClientAddress(trustedProxies: readonly string[]): ClientAddressOf {
  const trusted = trustedProxies.length > 0 ? proxyAddr.compile([...trustedProxies]) : null;
  return (request) => {
    // A socket already gone has no address (a request read as it closed).
    const peer = request.socket.remoteAddress;
    if (peer === undefined) return 'unknown';
    if (trusted === null) return peer;
    const chain = proxyAddr.all(request, trusted);
    const client = chain[chain.length - 1];
    // A trusted proxy that passed on a client's header without appending a real address leaves text the
    // client wrote at the end: take the proxy's own address rather than log it.
    if (client === undefined || isIP(client) === 0) return chain[chain.length - 2] ?? peer;
    return client;
  };
}
