/**
 * The first failure of something that runs beside the benchmark (a client process, a pool of them):
 * whatever waits on it through `orFailure` fails with it at once instead of waiting for its timeout.
 */
export class FirstFailure {
  private error: Error | undefined;
  private readonly listeners = new Set<(error: Error) => void>();

  /** Records `error` and fails every waiter, unless a failure is recorded already. */
  fail(error: Error): void {
    if (this.error) return;
    this.error = error;
    for (const listener of this.listeners) listener(error);
  }

  /** Forgets the failure (e.g. sockets closed on purpose reported as one): a fresh start. */
  clear(): void {
    this.error = undefined;
  }

  /** Throws the failure, if any. */
  check(): void {
    if (this.error) throw this.error;
  }

  /** `promise`, or the failure if one comes first. */
  orFailure<T>(promise: Promise<T>): Promise<T> {
    if (this.error) return Promise.reject(this.error);
    let listener: ((error: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      listener = reject;
      this.listeners.add(reject);
    });
    return Promise.race([promise, failed]).finally(() => {
      if (listener) this.listeners.delete(listener);
    });
  }
}
