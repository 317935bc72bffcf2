import type { GraphQLFormattedError } from 'graphql';
import { formatError } from '../errors.js';
import type { Services } from '../graphql/context.js';
import { errorFields, type Logger } from '../logger.js';

/**
 * Formats one error of an HTTP GraphQL answer: the one formatter (masking, with an unexpected error logged
 * on `log`, the request's own), schema details hidden in production, the answered code counted. Apollo's
 * `formatError` and the known operations' answers (known-operations.ts) both go through it. `knownCode` is
 * the code Apollo gives the error (`extensions.code`, or INTERNAL_SERVER_ERROR). Does not throw.
 */
export type HttpErrorFormatter = (error: unknown, log: Logger, knownCode: unknown) => GraphQLFormattedError;

export function createHttpErrorFormatter(services: Services): HttpErrorFormatter {
  const production = services.config.mode === 'production';
  return (error, log, knownCode) => {
    const unexpected = (root: unknown) => log.error('unexpected error', errorFields(root));
    const answer = formatError(error, unexpected, knownCode, production);
    services.metrics.errorAnswered('http', answer.extensions?.code);
    return answer;
  };
}
