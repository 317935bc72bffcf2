import { ClientErrorCode, TidingsClientError } from '../client/index.js';
import { CommandFailure, UsageError } from './cli-context.js';

/** Each HTTP request the watch makes is bounded; the client library retries one that timed out. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Gateway codes that mean the command has to change (another token, UNSID or cursor): exit code 2. */
const REFUSALS: ReadonlySet<string> = new Set([
  ClientErrorCode.Unauthenticated,
  ClientErrorCode.Forbidden,
  ClientErrorCode.NotFound,
  ClientErrorCode.BadUserInput,
  ClientErrorCode.TokenUnavailable,
]);

/**
 * Runs the watch's first requests, turning what the gateway answers into exit codes 2 and 1; null when
 * Ctrl-C ended them.
 */
export async function refusals<T>(
  url: string,
  shutdown: AbortSignal,
  work: () => Promise<T>,
): Promise<T | null> {
  try {
    return await work();
  } catch (error) {
    if (shutdown.aborted) return null;
    if (error instanceof TidingsClientError) throw failure(error, url, null);
    throw error;
  }
}

/** What ended the watch, as the runner reports it: UsageError (exit code 2) or CommandFailure (1). */
export function failure(error: Error, url: string, unsid: string | null): Error {
  if (!(error instanceof TidingsClientError)) return new CommandFailure(error.message, { cause: error });
  const { code } = error;
  switch (code) {
    case ClientErrorCode.Unauthenticated:
      return new UsageError(
        `The gateway at ${url} refused the token (${code}): it expired, or another gateway issued it. ` +
          "Mint a fresh one with the gateway's data directory (tidings token user).",
      );
    case ClientErrorCode.Forbidden:
      return new UsageError(`watch needs a user token, not an app token (${code}): see tidings token user.`);
    case ClientErrorCode.NotFound:
      return new UsageError(
        `No device subscription ${unsid ?? 'of that id'} for this token's user and app, or it has expired (${code}).`,
      );
    case ClientErrorCode.NetworkError:
      return new CommandFailure(
        `Cannot reach the gateway at ${url} (${describeCause(error)}): is \`tidings serve\` running there? Pass --url to name another.`,
      );
    case ClientErrorCode.InvalidEndpoint:
      return new CommandFailure(`${error.message} Pass --url with the gateway's address.`);
    default:
      return REFUSALS.has(code)
        ? new UsageError(`The gateway refused: ${error.message} (${code})`)
        : new CommandFailure(`${error.message} (${code})`);
  }
}

function describeCause(error: Error): string {
  const cause =
    (error.cause as { cause?: { code?: string; message?: string }; name?: string } | undefined) ?? {};
  if (cause.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return cause.cause?.code ?? cause.cause?.message ?? error.message;
}
