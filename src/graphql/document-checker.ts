import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  type ParseOptions,
  parse,
  type ValidationRule,
  validate,
} from 'graphql';
import { ErrorCode } from '../errors.js';

/**
 * graphql-js's parse options for documents clients send, on both transports. The token bound is checked
 * as the parser goes, so a document is refused after at most `maxTokens` tokens of work; and it bounds
 * the parser's recursion, which overflows the stack on a document nested about 2,000 deep (6 KB).
 */
export const documentParseOptions = (maxTokens: number): ParseOptions => ({ maxLexicalTokens: maxTokens });

export interface DocumentCheckerOptions {
  readonly schema: GraphQLSchema;
  /** Every rule to validate with (GraphQL's own and ours). */
  readonly rules: readonly ValidationRule[];
  readonly maxTokens: number;
}

/** A document ready to execute, or why it is not: errors coded as Apollo codes them over HTTP. */
export type CheckedDocument =
  | { readonly document: DocumentNode; readonly errors?: undefined }
  | { readonly errors: readonly GraphQLError[] };

export const MAX_CACHED_DOCUMENTS = 1000;
const MAX_CACHED_DOCUMENT_LENGTH = 10_000;

/**
 * Parses and validates document texts for graphql-ws, each text once: every device sends the same few
 * documents, and one AST is shared by all their subscriptions (parsing per socket was 16 KiB of memory
 * per idle subscribed socket). A document that does not parse, or has more than `maxTokens` tokens, is
 * GRAPHQL_PARSE_FAILED; one that does not validate, GRAPHQL_VALIDATION_FAILED (as over HTTP).
 * @throws whatever graphql-js throws other than a syntax error (a bug: no client document causes one).
 */
export function createDocumentChecker(options: DocumentCheckerOptions): (text: string) => CheckedDocument {
  const parseOptions = documentParseOptions(options.maxTokens);
  // Bounded: at most MAX_CACHED_DOCUMENTS of at most MAX_CACHED_DOCUMENT_LENGTH characters each, the
  // least recently used out first (Map order is recency: a hit moves its entry last), so a stream of
  // new texts cannot make every device's few documents be parsed again.
  const checked = new Map<string, CheckedDocument>();
  return (text) => {
    const known = checked.get(text);
    if (known) {
      checked.delete(text);
      checked.set(text, known);
      return known;
    }
    const result = check(text);
    if (text.length <= MAX_CACHED_DOCUMENT_LENGTH) {
      if (checked.size >= MAX_CACHED_DOCUMENTS) checked.delete(checked.keys().next().value as string);
      checked.set(text, result);
    }
    return result;
  };

  function check(text: string): CheckedDocument {
    let document: DocumentNode;
    try {
      document = parse(text, parseOptions);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      return { errors: [coded(error, ErrorCode.ParseFailed)] };
    }
    const errors = validate(options.schema, document, options.rules);
    // Coded here, as Apollo codes them: the formatter would guess BAD_USER_INPUT from a message that
    // starts with `Variable "$` (e.g. an unused variable), as a variable's value coerced wrong is.
    return errors.length > 0
      ? { errors: errors.map((error) => coded(error, ErrorCode.ValidationFailed)) }
      : { document };
  }
}

/** The same error (message, where) with `code`. */
const coded = (error: GraphQLError, code: ErrorCode): GraphQLError =>
  new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    extensions: { ...error.extensions, code },
  });
