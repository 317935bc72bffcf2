import { createHook } from 'node:async_hooks';
import { afterEach, beforeEach } from 'vitest';

/**
 * Watches the timers one source file arms (a gateway in the test's own process): each Timeout whose
 * `setTimeout`/`setInterval` call is in `source`, until it is cleared or fires. Returns the delays (ms)
 * of those pending now. Node's Timeout keeps its delay as `_idleTimeout`, -1 once cleared (its destroy
 * hook may come a moment later). Call at a test file's top level: it hooks every test of the file.
 */
export function watchTimers(source: string): () => number[] {
  const armed = new Map<number, { readonly _idleTimeout: number }>();
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 12;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      // The caller of setTimeout: the first frame outside Node's internals and this file.
      const caller = stack
        .split('\n')
        .slice(1)
        .find((frame) => !frame.includes('node:') && !frame.includes('armed-timers.ts'));
      if (caller?.includes(source)) armed.set(asyncId, resource as { _idleTimeout: number });
    },
    destroy(asyncId) {
      armed.delete(asyncId);
    },
  });
  beforeEach(() => {
    armed.clear();
    hook.enable();
  });
  afterEach(() => {
    hook.disable();
  });
  return () => [...armed.values()].map((timeout) => timeout._idleTimeout).filter((delay) => delay >= 0);
}
