import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FirstFailure } from './first-failure.js';
import type { ClientCommand, ClientEvent, SocketSpec } from './load-messages.js';
import { stopProcess, track } from './processes.js';
import { withTimeout } from './time.js';

const CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/** Sockets per load client process: well under the open-file limit, and a few processes for 10k. */
export const SOCKETS_PER_CLIENT = 2500;
/** Handshakes each client has in flight: more only overflows a busy server's accept queue. */
const HANDSHAKES_IN_FLIGHT = 50;

/** What became of the sockets of `openSilent`. */
export interface SilentCloses {
  readonly codes: readonly number[];
  /** Date.now() of the first and the last close. */
  readonly firstCloseAt: number;
  readonly lastCloseAt: number;
}

// Distributive Omit, so each command keeps its own fields.
type CommandBody = ClientCommand extends infer C ? (C extends ClientCommand ? Omit<C, 'id'> : never) : never;

interface Client {
  readonly child: ChildProcess;
  /** Its sockets are these positions of the list given to `open`. */
  first: number;
  size: number;
}

/**
 * Load client processes (forked from the runner, so on the client CPU) holding the sockets of one
 * system. Their first failure (a socket closed, an operation errored) fails whatever is waiting.
 */
export class LoadPool {
  private readonly waiting = new Map<string, (event: ClientEvent) => void>();
  private nextId = 1;
  private readonly failure = new FirstFailure();
  /** Set while sockets are closed on purpose: their closes are not failures. */
  private stopping = false;
  /** The first `next` frame any socket of the pool received (its size goes in the report). */
  sampleFrame: string | undefined;

  private constructor(
    private readonly name: string,
    private readonly clients: Client[],
  ) {
    for (const client of clients) {
      client.child.on('message', (event: ClientEvent) => this.receive(client, event));
      client.child.on('exit', (code, signal) => this.fail(`a load client exited (${code ?? signal})`));
      client.child.on('error', (error) => this.fail(error.message)); // e.g. a send after it exited
    }
  }

  /** Starts enough client processes for `sockets` sockets. */
  static create(name: string, sockets: number): LoadPool {
    const count = Math.max(1, Math.ceil(sockets / SOCKETS_PER_CLIENT));
    const clients = Array.from({ length: count }, () => ({
      child: track(fork(CLIENT, [], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })),
      first: 0,
      size: 0,
    }));
    return new LoadPool(name, clients);
  }

  private receive(client: Client, event: ClientEvent): void {
    if (event.type === 'failure') this.fail(event.message);
    else if (event.type === 'sample') this.sampleFrame ??= event.frame;
    else this.waiting.get(`${this.clients.indexOf(client)} ${event.type} ${event.id}`)?.(event);
  }

  private fail(message: string): void {
    if (!this.stopping) this.failure.fail(new Error(`${this.name} load client: ${message}`));
  }

  /** Resolves with the answer of type `answer` of every client to `command`, failing on a failure. */
  private async ask<E extends ClientEvent['type']>(
    command: CommandBody,
    answer: E,
    timeoutMs: number,
  ): Promise<Extract<ClientEvent, { type: E }>[]> {
    const id = this.nextId++;
    const answers = this.clients.map(
      (client, index) =>
        new Promise<Extract<ClientEvent, { type: E }>>((resolve) => {
          this.waiting.set(`${index} ${answer} ${id}`, resolve as (event: ClientEvent) => void);
          client.child.send({ ...command, id } as ClientCommand);
        }),
    );
    try {
      return await withTimeout(
        this.orFailure(Promise.all(answers)),
        timeoutMs,
        `${this.name} ${command.type}`,
      );
    } finally {
      for (let index = 0; index < this.clients.length; index++)
        this.waiting.delete(`${index} ${answer} ${id}`);
    }
  }

  /** `promise`, or the pool's failure if one comes first. */
  orFailure<T>(promise: Promise<T>): Promise<T> {
    return this.failure.orFailure(promise);
  }

  /** Throws the pool's failure, if any. */
  check(): void {
    this.failure.check();
  }

  /** Opens, initialises and subscribes every socket; `counts()` later lists them in this order. */
  async open(
    wsUrl: string,
    query: string,
    sockets: readonly SocketSpec[],
    timeoutMs = 120_000,
  ): Promise<void> {
    // Contiguous shares, so positions map back to the specs.
    const share = Math.ceil(sockets.length / this.clients.length);
    const id = this.nextId++;
    const opened = this.clients.map((client, index) => {
      const part = sockets.slice(index * share, (index + 1) * share);
      client.first = index * share;
      client.size = part.length;
      return new Promise<void>((resolve) => {
        this.waiting.set(`${index} opened ${id}`, () => resolve());
        const command: ClientCommand = {
          type: 'open',
          id,
          wsUrl,
          query,
          sockets: part,
          concurrency: HANDSHAKES_IN_FLIGHT,
        };
        client.child.send(command);
      });
    });
    await withTimeout(this.orFailure(Promise.all(opened)), timeoutMs, `${this.name} opening sockets`);
  }

  /**
   * Opens `count` sockets that never send anything (spread over the clients, which hold them beside any
   * subscribed ones) and resolves once all are open, with the promise of their closes: the close codes,
   * and when the first and the last closed (Date.now()). Their closes are not failures.
   */
  async openSilent(
    wsUrl: string,
    count: number,
    timeoutMs = 120_000,
  ): Promise<{ closed: (timeoutMs: number) => Promise<SilentCloses> }> {
    const share = Math.ceil(count / this.clients.length);
    const id = this.nextId++;
    const closes = this.clients.map(
      (_, index) =>
        new Promise<Extract<ClientEvent, { type: 'silent-closed' }>>((resolve) => {
          this.waiting.set(`${index} silent-closed ${id}`, resolve as (event: ClientEvent) => void);
        }),
    );
    const opened = this.clients.map((client, index) => {
      const part = Math.max(0, Math.min(share, count - index * share));
      return new Promise<void>((resolve) => {
        this.waiting.set(`${index} opened ${id}`, () => resolve());
        const command: ClientCommand = {
          type: 'open-silent',
          id,
          wsUrl,
          count: part,
          concurrency: HANDSHAKES_IN_FLIGHT,
        };
        client.child.send(command);
      });
    });
    await withTimeout(this.orFailure(Promise.all(opened)), timeoutMs, `${this.name} opening silent sockets`);
    const all = Promise.all(closes).then((parts) => {
      for (let index = 0; index < this.clients.length; index++)
        this.waiting.delete(`${index} silent-closed ${id}`);
      const counted = parts.filter((part) => part.codes.length > 0);
      return {
        codes: parts.flatMap((part) => part.codes),
        firstCloseAt: Math.min(...counted.map((part) => part.firstCloseAt)),
        lastCloseAt: Math.max(...counted.map((part) => part.lastCloseAt)),
      };
    });
    return { closed: (ms) => withTimeout(this.orFailure(all), ms, `${this.name} silent sockets closing`) };
  }

  /** Frames received by each socket since it opened, in the order given to `open`. */
  async counts(): Promise<number[]> {
    const answers = await this.ask({ type: 'counts' }, 'counts', 30_000);
    return answers.flatMap((answer) => answer.counts);
  }

  /**
   * Starts counting at every client (resolves once all count, so no frame sent after it is missed) and
   * returns the promise of the expected frames having arrived: `expected` more on every socket, or
   * `expected[i]` more on socket i (in the order given to `open`).
   */
  async arm(expected: number | readonly number[], timeoutMs: number): Promise<{ reached: Promise<void> }> {
    const id = this.nextId++;
    const reached = this.clients.map(
      (_, index) =>
        new Promise<void>((resolve) => {
          this.waiting.set(`${index} reached ${id}`, () => resolve());
        }),
    );
    const armed = this.clients.map(
      (client, index) =>
        new Promise<void>((resolve) => {
          this.waiting.set(`${index} armed ${id}`, () => resolve());
          const frames =
            typeof expected === 'number'
              ? expected * client.size
              : expected.slice(client.first, client.first + client.size).reduce((sum, n) => sum + n, 0);
          const command: ClientCommand = { type: 'arm', id, frames };
          client.child.send(command);
        }),
    );
    await withTimeout(this.orFailure(Promise.all(armed)), 30_000, `${this.name} arm`);
    const all = Promise.all(reached).then(() => undefined);
    const frames = withTimeout(this.orFailure(all), timeoutMs, `${this.name} frames`);
    // Handled here too, for a caller whose own step failed before it awaited this (DevicePool.arm).
    frames.catch(() => {});
    return { reached: frames };
  }

  /** Closes every socket (a normal close, not a failure) and forgets any failure: a fresh start. */
  async closeSockets(): Promise<void> {
    this.stopping = true;
    this.failure.clear();
    try {
      await this.ask({ type: 'close' }, 'closed', 60_000);
    } finally {
      this.stopping = false;
    }
  }

  /** Stops the client processes (their sockets drop with them). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.clients.map((client) => stopProcess(client.child, 3000)));
  }
}
