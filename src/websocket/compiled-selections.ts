import { type ExecutionArgs, type ExecutionResult, execute } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * A subscriber's selection run on one event (its root value), compiled (graphql/compiled-documents.ts) or
 * by graphql-js. An event whose compiled run has errors, or throws, is run again by graphql-js, whose
 * answer is the one sent: graphql-jit's errors of its own differ from graphql-js's (a null where none may
 * be, a value it cannot serialise: other messages, no `extensions`; a throwing property access escaping),
 * and the error formatter and clients expect graphql-js's. The resolvers of a live result only read the
 * event, so running them twice on that rare event changes nothing. (A known operation over HTTP cannot run
 * twice: http/known-operations.ts compiles only what runs as graphql-js does.)
 */
export function executeOnEvent(args: ExecutionArgs, query: CompiledQuery | null, event: unknown): Result {
  const interpreted = () => execute({ ...args, rootValue: event });
  if (query === null) return interpreted();
  let result: Result;
  try {
    result = query.query(event, args.contextValue, args.variableValues);
  } catch {
    return interpreted();
  }
  if (result instanceof Promise)
    return result.then((done) => (done.errors ? interpreted() : done), interpreted);
  return result.errors ? interpreted() : result;
}
