// The IPC between the bench runner (load-pool.ts) and each load client process (load-client.ts).

/** One socket to open: it subscribes with this deviceSubscriptionId, after connection_init with these params. */
export interface SocketSpec {
  readonly deviceSubscriptionId: string;
  readonly connectionParams: Readonly<Record<string, unknown>>;
}

export type ClientCommand =
  | {
      readonly type: 'open';
      readonly id: number;
      readonly wsUrl: string;
      readonly query: string;
      readonly sockets: readonly SocketSpec[];
      /** Handshakes in flight at once. */
      readonly concurrency: number;
    }
  /**
   * Opens `count` sockets that never send anything (not even connection_init), answering `opened` once
   * all are open and `silent-closed` once the server has closed every one of them.
   */
  | {
      readonly type: 'open-silent';
      readonly id: number;
      readonly wsUrl: string;
      readonly count: number;
      readonly concurrency: number;
    }
  /** Count frames from now on; answer `armed` at once and `reached` once `frames` more have arrived. */
  | { readonly type: 'arm'; readonly id: number; readonly frames: number }
  /** Frames each socket has received since it opened, in the order they were given. */
  | { readonly type: 'counts'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

export type ClientEvent =
  | { readonly type: 'opened'; readonly id: number }
  | { readonly type: 'armed'; readonly id: number }
  | { readonly type: 'reached'; readonly id: number }
  | { readonly type: 'counts'; readonly id: number; readonly counts: number[] }
  | { readonly type: 'closed'; readonly id: number }
  /** Every socket of an `open-silent` closed: their close codes, and when the first and last closed. */
  | {
      readonly type: 'silent-closed';
      readonly id: number;
      readonly codes: number[];
      /** Date.now() of the first and the last close (the runner's clock is the same machine's). */
      readonly firstCloseAt: number;
      readonly lastCloseAt: number;
    }
  /** The first `next` frame a socket received, to record its size and check its shape. */
  | { readonly type: 'sample'; readonly frame: string }
  /** Something no measurement may go on with: a socket closed or an operation failed. */
  | { readonly type: 'failure'; readonly message: string };
