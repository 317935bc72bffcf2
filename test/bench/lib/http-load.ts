import { fileURLToPath } from 'node:url';
import { ClientProcess } from './client-process.js';
import type { HttpRequestTemplate } from './http-template.js';

const CLIENT = fileURLToPath(new URL('./http-load-client.ts', import.meta.url));

interface LoadCommon {
  readonly template: HttpRequestTemplate;
  /** Each request's target, round robin (see fillBody). */
  readonly targets: readonly string[];
  /** Request i gets the key `keyPrefix + i`: unique across a run when the prefix is. */
  readonly keyPrefix: string;
}

export interface ClosedLoopCommand extends LoadCommon {
  readonly connections: number;
  readonly durationMs: number;
  /** When set, exactly this many requests (the duration is then ignored). */
  readonly amount?: number;
}

export interface ClosedLoopResult {
  /** Requests sent (a few may be unanswered when a duration ends). */
  readonly sent: number;
  /** Answered 200 without GraphQL errors. */
  readonly ok: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly wallMs: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly average: number };
}

export interface OpenLoopCommand extends LoadCommon {
  /** Requests per second, whatever the answers. */
  readonly rate: number;
  readonly count: number;
  /** Keep-alive connections at most; a request waits for a free one. */
  readonly maxConnections: number;
}

export interface OpenLoopResult {
  /** Request i is due at startMicros + i × intervalMicros (monotonic clock, µs). */
  readonly startMicros: number;
  readonly intervalMicros: number;
  readonly sentMicros: number[];
  readonly answeredMicros: number[];
  readonly ok: number;
  readonly failed: number;
  readonly firstError?: string;
}

/** An HTTP load client process (http-load-client.ts) on the client CPU. */
export class HttpLoad {
  private constructor(private readonly process: ClientProcess<{ type: string }>) {}

  static start(name: string): HttpLoad {
    return new HttpLoad(ClientProcess.start(CLIENT, `${name} http load`));
  }

  /** Closed loop: `connections` requests in flight at all times, for a duration or an amount. */
  async closed(command: ClosedLoopCommand): Promise<ClosedLoopResult> {
    const result = await this.process.call<ClosedLoopResult>(
      { type: 'closed', ...command },
      command.durationMs + 120_000 + (command.amount ?? 0) * 10,
    );
    if (result.failed > 0 || result.ok === 0) {
      throw new Error(
        `${result.failed} of ${result.sent} requests failed (${result.ok} ok): ${result.firstError ?? 'no answer'}`,
      );
    }
    return result;
  }

  /** Open loop: `count` requests at `rate` per second. */
  async open(command: OpenLoopCommand): Promise<OpenLoopResult> {
    const result = await this.process.call<OpenLoopResult>(
      { type: 'open', ...command },
      (command.count / command.rate) * 1000 + 120_000,
    );
    if (result.failed > 0) {
      throw new Error(`${result.failed} of ${command.count} requests failed: ${result.firstError}`);
    }
    return result;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
