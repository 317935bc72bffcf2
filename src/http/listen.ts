import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config/config.js';

/** Where to listen, and the setting(s) an operator changes to move it, as the error should name them. */
export interface ListenTarget {
  readonly host: string;
  readonly port: number;
  /** e.g. "PORT (--port)", "TIDINGS_METRICS_ADDRESS (--metrics-address)". */
  readonly portSetting: string;
  /** e.g. "HOST (--host)". */
  readonly hostSetting: string;
}

/** `host:port` as a person writes it (an IPv6 address in brackets). */
export const hostPort = (host: string, port: number): string =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Starts `server` listening, and resolves with the port it got (port 0: a free one).
 * @throws ConfigError, one line naming the address and the setting to change, when the address cannot be
 * used: already in use, a port below 1024 without the privilege, a host that is not this machine's.
 * @throws Error (Node's) for any other failure.
 */
export async function listen(server: Server, target: ListenTarget): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.port, target.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw listenProblem(error as NodeJS.ErrnoException, target) ?? error;
  }
  return (server.address() as AddressInfo).port;
}

function listenProblem(error: NodeJS.ErrnoException, target: ListenTarget): ConfigError | undefined {
  const where = `cannot listen on ${hostPort(target.host, target.port)}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `${where}: the address is already in use (another Tidings, or another program). Stop it, or set ${target.portSetting} to a free port.`,
      );
    case 'EACCES':
      return new ConfigError(
        `${where}: permission denied (ports below 1024 need privileges). Set ${target.portSetting} to 1024 or above, with a reverse proxy on 80/443.`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(
        `${where}: this machine has no such address. Set ${target.hostSetting} to one of its addresses (0.0.0.0: all of them).`,
      );
    default:
      return undefined;
  }
}
