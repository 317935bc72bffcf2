import type { GraphQLRequestListener, PersistedQueryOptions } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import type { GatewayContext } from '../graphql/context.js';

/** How many documents are remembered (least recently used first out), and how long one may be. */
export const MAX_KNOWN_DOCUMENTS = 1000;
export const MAX_KNOWN_DOCUMENT_LENGTH = 10_000;

/** A GraphQL request as a transport hands it to Apollo (the HTTP body, or `executeOperation`'s request). */
interface OperationRequest {
  readonly query?: unknown;
  readonly extensions?: unknown;
}

/**
 * The documents this gateway has already accepted, by text and by SHA-256, so that a request sending a
 * known text goes through Apollo as an automatic persisted query (APQ) naming it by hash: Apollo then
 * finds its parsed, validated document in its own document store without hashing the text again (its
 * SHA-256 per request, with a `require("crypto")` per call, was the largest piece of a `{ __typename }`
 * request's Apollo cost). Every other step of Apollo's pipeline runs as before: the plugins (rate
 * limits, 429/503, subscriptions refused), error formatting, masking, logging and metrics. (A known
 * document sent as a plain JSON POST skips Apollo altogether: known-operations.ts executes the parsed
 * document kept here, `documentOf`.)
 *
 * Only documents that passed parsing, validation and the operation limits once are remembered (Apollo
 * calls `didResolveOperation` after validation), so nothing a client sends skips a check it would fail:
 * validation depends only on the text, the schema and the rules, all fixed for the life of the server.
 * A document Apollo's own store has evicted is parsed and validated again from the remembered text.
 *
 * The same store answers Apollo's persisted-query cache, so clients sending APQ hashes of known
 * documents need no registration round trip.
 *
 * Bounded: at most MAX_KNOWN_DOCUMENTS texts of at most MAX_KNOWN_DOCUMENT_LENGTH characters (longer
 * ones simply take Apollo's usual path), plus the documents of requests under way: a request rewritten to
 * a hash keeps its document findable by that hash until it is answered, so the client that sent the text
 * never gets PERSISTED_QUERY_NOT_FOUND, however many new documents evict it meanwhile.
 */
export interface KnownDocuments {
  /**
   * Runs `execute` with the request naming its document by hash instead of text when the text is known
   * (else with the request itself), and keeps that document findable by its hash until `execute` settles.
   */
  withPersisted<T extends OperationRequest, R>(request: T, execute: (request: T) => Promise<R>): Promise<R>;
  /**
   * The parsed document, as Apollo parsed and validated it, of a request whose text is known and that
   * names no persisted query itself (as withPersisted would rewrite it); undefined otherwise.
   */
  documentOf(request: OperationRequest): DocumentNode | undefined;
  /** For Apollo's `persistedQueries.cache`. */
  readonly persistedQueryCache: NonNullable<PersistedQueryOptions['cache']>;
  /** The Apollo request listener that remembers each accepted document (the same for every request). */
  readonly listener: GraphQLRequestListener<GatewayContext>;
}

interface Known {
  readonly text: string;
  /**
   * Its parsed document, as Apollo validated it (the same object Apollo's own document store holds);
   * absent for a document learnt from an APQ registration alone.
   */
  document: DocumentNode | undefined;
  /** Apollo's `extensions.persistedQuery` for this document, made once. */
  readonly persistedQuery: Readonly<{ version: 1; sha256Hash: string }>;
  /** Rewritten requests of this document not answered yet (see withPersisted). */
  requests: number;
}

// Apollo prefixes the keys of its persisted-query cache with this (APQ_CACHE_PREFIX, not exported).
const APQ_KEY_PREFIX = 'apq:';

export function createKnownDocuments(): KnownDocuments {
  // Both maps hold the same entries; Map order is the recency order (a hit moves its entry last).
  const byText = new Map<string, Known>();
  const byHash = new Map<string, Known>();
  // The entry last in byText's order: a hit on it has nothing to move (the common case, a client sending
  // the same document again and again, then costs no Map writes).
  let newest: Known | undefined;
  // Documents evicted (or deleted) while rewritten requests of theirs were under way, by hash: Apollo looks
  // the hash up after the request authenticates, and the LRU may have evicted it by then. A document
  // still in the LRU needs no entry here: its count of requests under way is on the entry itself.
  const evictedUnderWay = new Map<string, Known>();

  /** Out of the LRU; still findable by hash while requests of it are under way. */
  const forget = (known: Known) => {
    byText.delete(known.text);
    byHash.delete(known.persistedQuery.sha256Hash);
    if (known === newest) newest = undefined;
    if (known.requests > 0) evictedUnderWay.set(known.persistedQuery.sha256Hash, known);
  };

  const remember = (text: string, sha256Hash: string, document?: DocumentNode) => {
    if (text.length > MAX_KNOWN_DOCUMENT_LENGTH) return;
    const already = byText.get(text);
    if (already) {
      already.document ??= document;
      return;
    }
    // Apollo's hashes are lowercase hex SHA-256; a hash in any other form is not one to store under.
    if (!/^[0-9a-f]{64}$/.test(sha256Hash)) return;
    if (byText.size >= MAX_KNOWN_DOCUMENTS) forget(byText.values().next().value as Known);
    // Back in the LRU while requests of it are still under way: the same entry, so one count holds them all.
    const pinned = evictedUnderWay.get(sha256Hash);
    if (pinned) evictedUnderWay.delete(sha256Hash);
    const known: Known =
      pinned?.text === text
        ? pinned
        : { text, document, persistedQuery: Object.freeze({ version: 1, sha256Hash }), requests: 0 };
    known.document ??= document;
    byText.set(text, known);
    byHash.set(sha256Hash, known);
    newest = known;
  };

  const touch = (known: Known) => {
    if (known === newest) return;
    byText.delete(known.text);
    byText.set(known.text, known);
    newest = known;
  };

  // Shared by every request (nothing per request to allocate).
  const listener: GraphQLRequestListener<GatewayContext> = {
    // Reached only by a document that parsed and validated (every rule, the limits included).
    async didResolveOperation({ source, queryHash, document }) {
      if (typeof source === 'string' && typeof queryHash === 'string') remember(source, queryHash, document);
    },
  };

  /** The known document a request's text names, when Apollo may be sent its hash instead. */
  const knownDocumentOf = (request: OperationRequest): Known | undefined => {
    const { query, extensions } = request;
    if (typeof query !== 'string') return undefined;
    // Extensions Apollo would refuse, or a persisted query the client names itself: Apollo decides.
    if (extensions !== undefined && !isPlainRecord(extensions)) return undefined;
    if (extensions && 'persistedQuery' in extensions) return undefined;
    return byText.get(query);
  };

  return {
    documentOf(request) {
      const known = knownDocumentOf(request);
      if (!known) return undefined;
      touch(known);
      return known.document;
    },
    async withPersisted(request, execute) {
      const known = knownDocumentOf(request);
      if (!known) return execute(request);
      touch(known);
      known.requests++;
      try {
        return await execute({
          ...request,
          query: undefined,
          extensions: { ...(request.extensions as object | undefined), persistedQuery: known.persistedQuery },
        });
      } finally {
        const hash = known.persistedQuery.sha256Hash;
        if (--known.requests === 0 && evictedUnderWay.get(hash) === known) evictedUnderWay.delete(hash);
      }
    },
    persistedQueryCache: {
      async get(key) {
        if (!key.startsWith(APQ_KEY_PREFIX)) return undefined;
        const hash = key.slice(APQ_KEY_PREFIX.length);
        const known = byHash.get(hash);
        if (known) touch(known);
        return (known ?? evictedUnderWay.get(hash))?.text;
      },
      // Apollo registers a client's APQ only once its document has been validated, with the hash checked.
      async set(key, text) {
        if (key.startsWith(APQ_KEY_PREFIX)) remember(text, key.slice(APQ_KEY_PREFIX.length));
      },
      async delete(key) {
        const known = byHash.get(key.slice(APQ_KEY_PREFIX.length));
        if (!known) return false;
        forget(known);
        return true;
      },
    },
    listener,
  };
}

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
