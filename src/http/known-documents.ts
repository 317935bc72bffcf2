import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
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
 * limits, 429/503, subscriptions refused), error formatting, masking, logging and metrics.
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
 * ones simply take Apollo's usual path). A rewritten request's document could be evicted before Apollo
 * looks its hash up only if as many new documents were accepted while that one request authenticated;
 * Apollo would then answer it PERSISTED_QUERY_NOT_FOUND, the APQ answer clients resend the text for.
 */
export interface KnownDocuments {
  /** The request, naming its document by hash instead of text when the text is known; else itself. */
  asPersisted<T extends OperationRequest>(request: T): T;
  /** For Apollo's `persistedQueries.cache`. */
  readonly persistedQueryCache: NonNullable<PersistedQueryOptions['cache']>;
  /** The Apollo plugin that remembers each accepted document. */
  readonly plugin: ApolloServerPlugin<GatewayContext>;
}

interface Known {
  readonly text: string;
  /** Apollo's `extensions.persistedQuery` for this document, made once. */
  readonly persistedQuery: Readonly<{ version: 1; sha256Hash: string }>;
}

// Apollo prefixes the keys of its persisted-query cache with this (APQ_CACHE_PREFIX, not exported).
const APQ_KEY_PREFIX = 'apq:';

export function createKnownDocuments(): KnownDocuments {
  // Both maps hold the same entries; Map order is the recency order (a hit moves its entry last).
  const byText = new Map<string, Known>();
  const byHash = new Map<string, Known>();

  const remember = (text: string, sha256Hash: string) => {
    if (text.length > MAX_KNOWN_DOCUMENT_LENGTH || byText.has(text)) return;
    // Apollo's hashes are lowercase hex SHA-256; a hash in any other form is not one to store under.
    if (!/^[0-9a-f]{64}$/.test(sha256Hash)) return;
    if (byText.size >= MAX_KNOWN_DOCUMENTS) {
      const oldest = byText.values().next().value as Known;
      byText.delete(oldest.text);
      byHash.delete(oldest.persistedQuery.sha256Hash);
    }
    const known: Known = { text, persistedQuery: Object.freeze({ version: 1, sha256Hash }) };
    byText.set(text, known);
    byHash.set(sha256Hash, known);
  };

  const touch = (known: Known) => {
    byText.delete(known.text);
    byText.set(known.text, known);
  };

  // Shared by every request (nothing per request to allocate).
  const hooks = {
    // Reached only by a document that parsed and validated (every rule, the limits included).
    async didResolveOperation({ source, queryHash }: { source?: string; queryHash?: string }) {
      if (typeof source === 'string' && typeof queryHash === 'string') remember(source, queryHash);
    },
  };

  return {
    asPersisted(request) {
      const { query, extensions } = request;
      if (typeof query !== 'string') return request;
      // Extensions Apollo would refuse, or a persisted query the client names itself: Apollo decides.
      if (extensions !== undefined && !isPlainRecord(extensions)) return request;
      if (extensions && 'persistedQuery' in extensions) return request;
      const known = byText.get(query);
      if (!known) return request;
      touch(known);
      return {
        ...request,
        query: undefined,
        extensions: { ...extensions, persistedQuery: known.persistedQuery },
      };
    },
    persistedQueryCache: {
      async get(key) {
        const known = key.startsWith(APQ_KEY_PREFIX)
          ? byHash.get(key.slice(APQ_KEY_PREFIX.length))
          : undefined;
        if (!known) return undefined;
        touch(known);
        return known.text;
      },
      // Apollo registers a client's APQ only once its document has been validated, with the hash checked.
      async set(key, text) {
        if (key.startsWith(APQ_KEY_PREFIX)) remember(text, key.slice(APQ_KEY_PREFIX.length));
      },
      async delete(key) {
        const known = byHash.get(key.slice(APQ_KEY_PREFIX.length));
        if (!known) return false;
        byHash.delete(known.persistedQuery.sha256Hash);
        byText.delete(known.text);
        return true;
      },
    },
    plugin: { requestDidStart: async () => hooks },
  };
}

const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
