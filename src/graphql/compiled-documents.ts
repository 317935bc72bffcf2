import type { DocumentNode, ExecutionArgs, GraphQLSchema } from 'graphql';
import { Kind, visit } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/** Documents kept compiled, per schema and per cache (least recently used first out). */
export const MAX_COMPILED_DOCUMENTS = 64;

/**
 * Documents compiled with graphql-jit (what Mercurius runs): a document is compiled once into a plain
 * function, per schema, document and operation, and an execution then costs that function's call instead
 * of graphql-js's interpretation (an execution context, variable coercion, field collection and an `info`
 * per field, every time). Measured: a notification change's selection ≈ 3 µs against ≈ 22 µs, and
 * `createNotification`'s mutation with its input ≈ 2.6 µs against ≈ 18 µs (its variable coercion was most
 * of it), each with the same JSON text. A compilation costs about what parsing and validating the document
 * did (≈ 0.6 ms), once.
 *
 * What graphql-jit does not compile (it answers errors instead), introspection (graphql-js' own resolvers
 * answer it, as Apollo Sandbox expects them to), and arguments that bring resolvers of their own, are left
 * to graphql-js: the lookup answers null for them.
 *
 * Returns the lookup of a document's compiled operation: the same object for every caller that sent the
 * same document and operation (null where graphql-js executes), to be kept while it is used. What differs
 * per execution (variables, context, root value) is given to the compiled query at each call.
 */
export function createCompiledDocuments(): (args: ExecutionArgs) => CompiledQuery | null {
  // Per schema (one per gateway) and document (the parsed document a checker or Apollo's store shares by
  // text), per operation name: the compiled query, or null where graphql-js executes. The most recently
  // used documents only: a compiled document keeps ≈ 4× what its parsed document does (≈ 0.4 MiB for a
  // 2 KB one), and a client cycling through distinct documents would otherwise keep one for each document
  // remembered. A caller may keep a compiled query longer (a subscriber, for its life).
  const compiled = new WeakMap<GraphQLSchema, Map<DocumentNode, Map<string | null, CompiledQuery | null>>>();

  return (args) => {
    if (args.fieldResolver || args.typeResolver) return null;
    let bySchema = compiled.get(args.schema);
    if (!bySchema) {
      bySchema = new Map();
      compiled.set(args.schema, bySchema);
    }
    let byName = bySchema.get(args.document);
    if (byName)
      bySchema.delete(args.document); // set again below: the newest
    else byName = new Map();
    bySchema.set(args.document, byName);
    if (bySchema.size > MAX_COMPILED_DOCUMENTS) bySchema.delete(bySchema.keys().next().value as DocumentNode);
    const operationName = args.operationName ?? null;
    let query = byName.get(operationName);
    if (query === undefined) {
      query = null;
      if (!asksForIntrospection(args.document)) {
        const made = compileQuery(args.schema, args.document, operationName ?? undefined);
        if (isCompiledQuery(made)) query = made;
      }
      byName.set(operationName, query);
    }
    return query;
  };
}

/** Whether a document selects `__schema` or `__type` anywhere (`__typename` is an ordinary field). */
function asksForIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  return found;
}
