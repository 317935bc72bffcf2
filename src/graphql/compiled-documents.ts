import type { DocumentNode, ExecutionArgs, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { BREAK, getOperationAST, Kind, OperationTypeNode, visit } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/** Documents kept compiled, per schema and per cache (least recently used first out). */
export const MAX_COMPILED_DOCUMENTS = 64;

/**
 * Documents compiled with graphql-jit (what Mercurius runs): a document is compiled once into a plain
 * function, per schema, document and operation, and an execution then costs that function's call instead
 * of graphql-js's interpretation (an execution context, variable coercion, field collection and an `info`
 * per field, every time). Measured: a notification change's selection ≈ 3 µs against ≈ 22 µs, and
 * `createNotification`'s mutation with its input ≈ 2.6 µs against ≈ 18 µs (its variable coercion was most
 * of it), each with the same JSON text. A compilation costs ≈ 0.6 ms for such a document, and up to
 * ≈ 4.6× parsing and validating for a large one (7.6 ms for 150 fields), once while it is kept.
 *
 * What graphql-jit does not compile (it answers errors instead), introspection (graphql-js' own resolvers
 * answer it, as Apollo Sandbox expects them to), arguments that bring resolvers of their own, and
 * documents `compilable` refuses, are left to graphql-js: the lookup answers null for them.
 *
 * Returns the lookup of a document's compiled operation: the same object for every caller that sent the
 * same document and operation (null where graphql-js executes), to be kept while it is used. What differs
 * per execution (variables, context, root value) is given to the compiled query at each call.
 */
export function createCompiledDocuments(
  compilable: (document: DocumentNode, operation: OperationDefinitionNode) => boolean = () => true,
): (args: ExecutionArgs) => CompiledQuery | null {
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
      const operation = getOperationAST(args.document, operationName);
      if (operation && !asksForIntrospection(args.document) && compilable(args.document, operation)) {
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

/** Fields a document may select and still be compiled for a request (see executesAsGraphqlJs). */
export const MAX_COMPILED_FIELDS = 64;

/**
 * Whether graphql-jit runs this operation as graphql-js does where it matters to a request that is run
 * once (an HTTP request: a mutation must not run twice, so its errors cannot be mended by running it
 * again): the same resolvers called with the same arguments, and no more. Not, in graphql-jit 0.8.9:
 * - a mutation of several root fields: graphql-js stops at the first that fails (every root field here is
 *   non-null), graphql-jit runs the others still;
 * - an object or list written in the document with a variable inside: a variable left out arrives as
 *   null, not absent (an edit would clear the field it names), and literal objects are built otherwise;
 * - a variable's default value: graphql-jit takes it as JSON, so a DateTime default arrives as text;
 * - more than MAX_COMPILED_FIELDS fields: compiling costs ≈ 4.6× parsing and validating (7.6 ms for 150
 *   fields), paid again by a client cycling through more known documents than are kept compiled.
 * The documents clients send (the client library's, the Graph route's, the CLI's) are none of these.
 */
export function executesAsGraphqlJs(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  if (operation.operation === OperationTypeNode.MUTATION) {
    const [only, ...others] = operation.selectionSet.selections;
    if (others.length > 0 || only?.kind !== Kind.FIELD || (only.directives?.length ?? 0) > 0) return false;
  }
  let fields = 0;
  let runsAlike = true;
  const refuse = () => {
    runsAlike = false;
    return BREAK;
  };
  visit(document, {
    [Kind.VARIABLE_DEFINITION]: (node) => (node.defaultValue ? refuse() : undefined),
    [Kind.ARGUMENT]: (node) =>
      node.value.kind === Kind.OBJECT || node.value.kind === Kind.LIST ? refuse() : undefined,
    [Kind.FIELD]: () => (++fields > MAX_COMPILED_FIELDS ? refuse() : undefined),
  });
  return runsAlike;
}
