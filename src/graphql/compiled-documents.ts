import type {
  DocumentNode,
  ExecutionArgs,
  GraphQLInputType,
  GraphQLSchema,
  OperationDefinitionNode,
} from 'graphql';
import {
  BREAK,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  getOperationAST,
  Kind,
  OperationTypeNode,
  typeFromAST,
  visit,
} from 'graphql';
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
 * What graphql-jit does not compile (it answers errors instead), what it would run otherwise
 * (leftToGraphqlJs), arguments that bring resolvers of their own, and documents `compilable` refuses, are
 * left to graphql-js: the lookup answers null for them.
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
      if (operation && !leftToGraphqlJs(args.document) && compilable(args.document, operation)) {
        const made = compileQuery(args.schema, args.document, operationName ?? undefined);
        if (isCompiledQuery(made)) query = made;
      }
      byName.set(operationName, query);
    }
    return query;
  };
}

/**
 * Whether graphql-jit would not run this document as graphql-js does, whatever the caller: it asks for
 * introspection (graphql-js' own resolvers answer it, as Apollo Sandbox expects them to), or it has both
 * fragments and `@skip`/`@include`. graphql-jit 0.8.9 keeps a field's conditions on the document's own
 * field node, so a fragment used in two places (or in another operation of the document) takes the
 * conditions of one place to the other: fields left out of the result with no error (found by a review
 * with scripts; a subscription's selection can only send graphql-js' result on errors, and there are none).
 */
function leftToGraphqlJs(document: DocumentNode): boolean {
  let fragments = false;
  let conditions = false;
  let introspection = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (node.name.value === '__schema' || node.name.value === '__type') introspection = true;
    },
    [Kind.FRAGMENT_SPREAD]() {
      fragments = true;
    },
    [Kind.INLINE_FRAGMENT]() {
      fragments = true;
    },
    [Kind.DIRECTIVE](node) {
      if (node.name.value === 'skip' || node.name.value === 'include') conditions = true;
    },
  });
  return introspection || (fragments && conditions);
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

// Each operation's variables and their types in the schema, found once.
const variableTypes = new WeakMap<
  GraphQLSchema,
  WeakMap<OperationDefinitionNode, ReadonlyArray<readonly [string, GraphQLInputType | undefined]>>
>();

/**
 * Whether `variables` hold a list where the operation takes an input object. graphql-js refuses it;
 * graphql-jit 0.8.9 takes `[]` for `{}` where the object has no required field (`targetPolicy: []` would
 * post to every platform, `filter: []` list unfiltered). Checked before a compiled request runs, on the
 * values given only (plain `instanceof`: graphql's own type checks cost more outside production mode);
 * where it answers true, graphql-js runs the request and refuses it.
 */
export function listWhereObject(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): boolean {
  if (!variables) return false;
  let bySchema = variableTypes.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    variableTypes.set(schema, bySchema);
  }
  let types = bySchema.get(operation);
  if (!types) {
    types = (operation.variableDefinitions ?? []).map(
      (definition) =>
        [
          definition.variable.name.value,
          typeFromAST(schema, definition.type) as GraphQLInputType | undefined,
        ] as const,
    );
    bySchema.set(operation, types);
  }
  return types.some(([name, type]) => type !== undefined && listIn(type, variables[name]));
}

function listIn(type: GraphQLInputType, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (type instanceof GraphQLNonNull) return listIn(type.ofType, value);
  if (type instanceof GraphQLList) {
    const item = type.ofType as GraphQLInputType;
    return Array.isArray(value) ? value.some((one) => listIn(item, one)) : listIn(item, value);
  }
  if (!(type instanceof GraphQLInputObjectType)) return false;
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object') return false;
  const fields = type.getFields();
  for (const name in value) {
    const field = fields[name];
    if (field && listIn(field.type, (value as Record<string, unknown>)[name])) return true;
  }
  return false;
}
