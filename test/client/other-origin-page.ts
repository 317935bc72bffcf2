// The script of a web app's page served from an origin other than the gateway's, as a browser app built on
// the client library would be. Bundled for the browser by test/client/other-origin.test.ts; the test drives
// it through `globalThis.otherOriginPage` and reads what it reports.
import {
  createDeviceSubscription,
  createMemoryCursorStore,
  createTidingsClient,
  type FeedUpdate,
  type TidingsClient,
} from '../../src/client/index.js';

/** What a failed call reports: the client's code and message, never a thrown exception. */
export interface Failure {
  readonly failed: true;
  readonly code: string;
  readonly message: string;
}

/** What the page's one socket, opened by hand, saw. */
export interface SocketReport {
  readonly opened: boolean;
  readonly closeCode: number;
}

interface BrowserSocket {
  onopen: (() => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  close(): void;
}
type BrowserSocketClass = new (url: string, protocol: string) => BrowserSocket;

const failure = (error: unknown): Failure => {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { failed: true, code: String(code), message: String(message) };
};

const updates: FeedUpdate[] = [];
const statuses: string[] = [];
let client: TidingsClient | undefined;

const page = {
  updates,
  statuses,
  /** Registers this browser as a WEB device of the token's user: its UNSID, or the failure. */
  async register(url: string, token: string): Promise<{ id: string } | Failure> {
    try {
      const device = await createDeviceSubscription(
        { url, token: () => token },
        { platform: 'WEB', deviceLabel: 'a page on another origin' },
      );
      return { id: device.id };
    } catch (error) {
      return failure(error);
    }
  },
  /** Follows the device's feed live; `updates` and `statuses` record what the client hands the app. */
  follow(url: string, token: string, deviceSubscriptionId: string): void {
    client = createTidingsClient({
      url,
      token: () => token,
      deviceSubscriptionId,
      cursorStore: createMemoryCursorStore(),
      onUpdate: (update) => {
        updates.push(update);
      },
      onStatus: (status) => {
        statuses.push(status.state);
      },
    });
  },
  async markRead(id: string): Promise<{ readState: string } | Failure> {
    try {
      return { readState: (await (client as TidingsClient).markRead(id)).readState };
    } catch (error) {
      return failure(error);
    }
  },
  /** Opens a graphql-transport-ws socket as any page can, and reports whether it opened, and its close. */
  openSocket(wsUrl: string): Promise<SocketReport> {
    const WebSocketClass = (globalThis as unknown as { WebSocket: BrowserSocketClass }).WebSocket;
    return new Promise((resolve) => {
      const socket = new WebSocketClass(wsUrl, 'graphql-transport-ws');
      let opened = false;
      socket.onopen = () => {
        opened = true;
        socket.close();
      };
      socket.onclose = (event) => resolve({ opened, closeCode: event.code });
    });
  },
};

export type OtherOriginPage = typeof page;
(globalThis as unknown as { otherOriginPage: OtherOriginPage }).otherOriginPage = page;
