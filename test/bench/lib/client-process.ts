import { type ChildProcess, fork } from 'node:child_process';
import { FirstFailure } from './first-failure.js';
import { stopProcess, track } from './processes.js';
import { withTimeout } from './time.js';

// A small request/answer protocol over IPC between the runner and a client process it forks (on the
// client CPU, which the runner is pinned to): the runner sends `{ id, type, ...arguments }`, the child
// answers `{ reply: id, ok, result | message }` and may send `{ event }` at any time. The runner side is
// `ClientProcess`; the child side is `serveCommands` in client-commands.ts.

export interface CommandReply {
  readonly reply: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly message?: string;
}

export interface ClientEventMessage<E> {
  readonly event: E;
}

/** A forked client process answering commands; its first failure event fails whatever is waiting. */
export class ClientProcess<E extends { readonly type: string }> {
  private readonly waiting = new Map<number, (reply: CommandReply) => void>();
  private readonly listeners = new Set<(event: E) => void>();
  private readonly failure = new FirstFailure();
  private nextId = 1;
  private stopping = false;

  private constructor(
    private readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: CommandReply | ClientEventMessage<E>) => {
      if ('reply' in message) this.waiting.get(message.reply)?.(message);
      else if ('event' in message) {
        if (message.event.type === 'failure') {
          this.fail((message.event as unknown as { message: string }).message);
        }
        for (const listener of this.listeners) listener(message.event);
      }
    });
    child.on('exit', (code, signal) => this.fail(`exited (${code ?? signal})`));
  }

  /** Forks `file` (a .ts module run through tsx, as the runner is) in a process group of its own. */
  static start<E extends { readonly type: string }>(file: string, name: string): ClientProcess<E> {
    const child = track(fork(file, [], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    return new ClientProcess<E>(name, child);
  }

  private fail(message: string): void {
    if (!this.stopping) this.failure.fail(new Error(`${this.name}: ${message}`));
  }

  /** Sends a command and resolves with its result; rejects on its error, a failure or the timeout. */
  async call<T>(command: { readonly type: string } & Record<string, unknown>, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      this.waiting.set(id, (reply) =>
        reply.ok ? resolve(reply.result as T) : reject(new Error(`${this.name}: ${reply.message}`)),
      );
      this.child.send({ ...command, id });
    });
    try {
      return await withTimeout(this.orFailure(answer), timeoutMs, `${this.name} ${command.type}`);
    } finally {
      this.waiting.delete(id);
    }
  }

  /** Listens to the child's events; returns the function that stops listening. */
  onEvent(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `promise`, or the process's failure if one comes first. */
  orFailure<T>(promise: Promise<T>): Promise<T> {
    return this.failure.orFailure(promise);
  }

  /** Forgets a failure (e.g. sockets closed on purpose reported as one): a fresh start. */
  clearFailure(): void {
    this.failure.clear();
  }

  check(): void {
    this.failure.check();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await stopProcess(this.child, 3000);
  }
}
