// The child side of client-process.ts: answers the runner's commands and sends it events.
import type { CommandReply } from './client-process.js';

type Handler = (command: any) => Promise<unknown> | unknown;

/** Sends an event to the runner (e.g. `{ type: 'failure', message }`, which fails what it waits for). */
export function emit(event: { readonly type: string } & Record<string, unknown>): void {
  process.send?.({ event });
}

/** Answers each command `{ id, type }` with its handler's result or error. */
export function serveCommands(handlers: Record<string, Handler>): void {
  process.on('message', (command: { id: number; type: string }) => {
    const handler = handlers[command.type];
    const reply = (answer: Omit<CommandReply, 'reply'>) => process.send?.({ reply: command.id, ...answer });
    if (!handler) return reply({ ok: false, message: `unknown command ${command.type}` });
    Promise.resolve()
      .then(() => handler(command))
      .then(
        (result) => reply({ ok: true, result }),
        (error: Error) => reply({ ok: false, message: error.stack ?? String(error) }),
      );
  });
  // The runner is gone: do not outlive it.
  process.on('disconnect', () => process.exit(0));
}

/** Now on the system-wide monotonic clock (CLOCK_MONOTONIC), in µs: comparable across processes. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);
