// The IPC between the bench runner (load-pool.ts) and each load client process (load-client.ts).

/** One socket to open: it subscribes with this subscriptionId, after connection_init with these params. */
export interface SocketSpec {
  readonly subscriptionId: string;
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
  /** The first `next` frame a socket received, to record its size and check its shape. */
  | { readonly type: 'sample'; readonly frame: string }
  /** Something no measurement may go on with: a socket closed or an operation failed. */
  | { readonly type: 'failure'; readonly message: string };
