import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

// A push endpoint is a URL a user hands us, and the gateway POSTs to it from inside the operator's
// network: left unchecked, any user could make it probe or poke internal hosts (an admin port on
// 127.0.0.1, a metadata service on 169.254.169.254) and read the answer back from their device's
// `webPush` flag. Push services are on the public internet, so only public addresses are reached: an IP
// literal is checked when the subscription is registered, and every name is checked again when it is
// resolved for a connection (a name may resolve to an internal address, and may change to one later).
// TIDINGS_WEB_PUSH_ALLOW_INSECURE_LOCALHOST (tests, development) opens loopback, and nothing else.

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether the gateway may send a push to this IP address (v4 or v6, no brackets). */
export function isReachablePushAddress(address: string, allowLoopback: boolean): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 address decides. (Not a subnet of NOT_PUBLIC: BlockList
  // matches IPv4 addresses against IPv4-mapped ranges, so ::ffff:0:0/96 would refuse every IPv4 one.)
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
  if (mapped) return isReachablePushAddress(mapped, allowLoopback);
  if (allowLoopback && LOOPBACK.check(address, type)) return true;
  return !NOT_PUBLIC.check(address, type);
}

/** A URL's host as an IP address when it is one (IPv6 without its brackets), else null. */
export function ipLiteralOf(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) === 0 ? null : host;
}

/** The error a refused address fails a connection with. */
export const REFUSED_ADDRESS = 'EPUSHADDRESS';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * dns.lookup for the push agents: resolves as usual, then fails the connection with REFUSED_ADDRESS when
 * an address it would use is not a public one.
 */
export function pushServiceLookup(allowLoopback: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : '');
      const refused = addresses.find((entry) => !isReachablePushAddress(entry.address, allowLoopback));
      if (refused || addresses.length === 0) {
        const failure: NodeJS.ErrnoException = new Error(`${hostname} is not a public address`);
        failure.code = REFUSED_ADDRESS;
        return callback(failure, options.all ? [] : '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}
