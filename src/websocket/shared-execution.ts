import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  Kind,
  type ValueNode,
  visit,
} from 'graphql';

import { END_FEED, type FeedStream } from '../delivery/feed-stream.js';
import { createCompiledDocuments } from '../graphql/compiled-documents.js';
import type { GatewayContext, SharedPayload } from '../graphql/context.js';
import { executeOnEvent } from './compiled-selections.js';

type DirectFeed = Pick<FeedStream, 'deliverDirectly' | 'filterMap'>;

type Result = ExecutionResult | Promise<ExecutionResult>;
type Compiled = ReturnType<ReturnType<typeof createCompiledDocuments>>;

/** One selection's result for one event, and its JSON text (and frames) once a socket has needed it. */
interface SharedResult {
  readonly result: Result;
  payload?: SharedPayload;
}

/**
 * Where an event's results are kept: on the object its sharing key names (the change), under a symbol
 * of each `createSharedSubscribe` (so two of them, e.g. two gateways' schemas, never see each other's),
 * not enumerable (neither JSON nor a spread of the change carries them): they are collected with it.
 * Not in a WeakMap keyed by the change: V8's scavenger kept every such entry's value (the result, its
 * JSON, the frames) through young collections long after its change had been delivered, so collections
 * copied them and promoted most (test/bench/RESULTS.md: at 1,000 posts/s ≈ 0.6–1 MB per scavenge, 2.5–4.5
 * ms each, against ≈ 0.1 MB and under a millisecond without live devices).
 */
function resultsOnOwners(): (owner: object) => Map<string, SharedResult> | undefined {
  const key = Symbol('tidings.sharedResults');
  // The results kept on `owner`, made on first use (undefined for an owner that takes no property).
  return (owner) => {
    const kept = (owner as Record<symbol, Map<string, SharedResult> | undefined>)[key];
    if (kept !== undefined || !Object.isExtensible(owner)) return kept;
    const results = new Map<string, SharedResult>();
    Object.defineProperty(owner, key, { value: results, enumerable: false });
    return results;
  };
}

/**
 * A graphql-ws `subscribe` that executes each event once per selection, not once per subscriber, and
 * serialises that result once too.
 *
 * graphql's own `subscribe` runs the selection set for every subscriber on every event, and graphql-ws
 * then builds and stringifies a message per subscriber. A notification fans out to every device of its
 * user as the same event object, so the result of one device's selection is the result of every other
 * device that sent the same selection: it is computed and turned into JSON once (kept on the object
 * `sharingKey` names, the change, so it lives only as long as the change does), and each socket is sent
 * the same text with its own operation id in front (`connection.sendNext`; `sendSharedNext` keeps the
 * whole message per id, as bytes every socket with that id is sent). Results with errors, and events made for one subscriber,
 * go through graphql-ws as usual (its `onNext` formats errors).
 *
 * What makes two selections "the same": the same document text, operation and variables, leaving out
 * the variables used only as arguments of the subscription's root field. Those (the UNSID and the
 * cursor) choose *which* events a subscriber gets, not what an event's result contains, because the
 * root field's `resolve` maps the event alone. Any other variable (e.g. in `@include`) stays in the key.
 *
 * Each execution runs the selection compiled once per document (graphql/compiled-documents.ts): with one device
 * per user, every event is executed for one subscriber, and graphql-js's interpretation of the selection
 * was most of what a frame cost beyond the socket's write.
 *
 * @param sharingKey the object an event's results are attached to, or null to not share (e.g. events
 *   made for one subscriber only, such as a replay).
 */
export function createSharedSubscribe(sharingKey: (event: unknown) => object | null) {
  const resultsOf = resultsOnOwners();
  const compiledSelection = createCompiledDocuments();

  // The entry found last: a change goes to every device of its feed one after the other, and their
  // selections are mostly one string, so most lookups are this one (it holds one event at most alive).
  let last: { owner: object; selection: string; entry: SharedResult } | undefined;

  function sharedResult(
    owner: object,
    selection: string,
    args: ExecutionArgs,
    query: Compiled,
    event: unknown,
  ) {
    if (last !== undefined && last.owner === owner && last.selection === selection) return last.entry;
    const entry = lookUp(owner, selection, args, query, event);
    last = { owner, selection, entry };
    return entry;
  }

  function lookUp(owner: object, selection: string, args: ExecutionArgs, query: Compiled, event: unknown) {
    const results = resultsOf(owner);
    let entry = results?.get(selection);
    if (entry === undefined) {
      entry = { result: executeOnEvent(args, query, event) };
      results?.set(selection, entry);
    }
    return entry;
  }

  return async function subscribe(args: ExecutionArgs) {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source; // errors before the stream started
    const selection = selectionKey(args);
    // Compiled with the first subscriber of its document: the others find it done.
    const query = compiledSelection(args);
    const connection = (args.contextValue as GatewayContext | undefined)?.connection;
    // A live feed that can send its live changes itself is given the way to: the same shared frame,
    // without a step of the iterators below per device (see FeedStream.deliverDirectly).
    const directFeed = isDirectFeed(source) ? source : undefined;
    if (connection && selection !== null && directFeed) {
      directFeed.deliverDirectly((event, written) => {
        const owner = sharingKey(event);
        if (owner === null) return false;
        const entry = sharedResult(owner, selection, args, query, event);
        const result = entry.result;
        if (isPromise(result) || result.errors) return false; // the iterator's path waits and formats
        entry.payload ??= { json: JSON.stringify(result) };
        return connection.sendSharedNext(entry.payload, written);
      });
    }
    /**
     * The event's result for graphql-ws to send (one with errors, which graphql-ws formats), undefined
     * once it has been sent here, or END_FEED when it could not be sent: the subscription was completed or its
     * socket is closing. Stopping ends the source at the event, so the feed does not count it (or any
     * after it) as delivered; graphql-ws's own send would have dropped it and asked for the next.
     */
    const map = async (event: unknown): Promise<ExecutionResult | undefined | Stop> => {
      const owner = sharingKey(event);
      const entry =
        owner === null || selection === null ? null : sharedResult(owner, selection, args, query, event);
      const result = await (entry ? entry.result : executeOnEvent(args, query, event));
      if (!connection) return result;
      if (result.errors) return connection.isLive() ? result : END_FEED;
      let json: string;
      if (entry) {
        entry.payload ??= { json: JSON.stringify(result) };
        json = entry.payload.json;
      } else json = JSON.stringify(result);
      return (await connection.sendNext(json)) ? undefined : END_FEED;
    };
    // A live feed maps its own events: no iterator of ours on top of it, suspended per idle subscription.
    return directFeed ? directFeed.filterMap(map) : filterMapAsyncIterator(source, map);
  };
}

/** What a selection's key is made of, worked out once per document and operation name. */
interface SelectionShape {
  /** The document's text and operation name: the whole key when no variable counts. */
  readonly base: string;
  /** Variables used only as arguments of the root field: they choose events, not results. */
  readonly rootOnly: ReadonlySet<string>;
}

// Per document (documents are shared by every socket that sent the same text: document-checker.ts), per
// operation name: its shape, or null if it cannot be shared. So the key of a subscriber whose variables
// all choose events is one string for all of them, not a copy of the document's text per subscription.
const shapes = new WeakMap<DocumentNode, Map<string | null, SelectionShape | null>>();

/** The key of a subscriber's selection, or null if it cannot be shared safely. */
function selectionKey(args: ExecutionArgs): string | null {
  const operationName = args.operationName ?? null;
  let byName = shapes.get(args.document);
  if (!byName) {
    byName = new Map();
    shapes.set(args.document, byName);
  }
  let shape = byName.get(operationName);
  if (shape === undefined) {
    shape = selectionShape(args.document, operationName);
    byName.set(operationName, shape);
  }
  if (shape === null) return null;
  const variables = Object.entries(args.variableValues ?? {})
    .filter(([name]) => !shape.rootOnly.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return variables.length === 0 ? shape.base : `${shape.base}${JSON.stringify(variables)}`;
}

function selectionShape(document: DocumentNode, operationName: string | null): SelectionShape | null {
  const operation = getOperationAST(document, operationName);
  const source = document.loc?.source.body;
  if (!operation || source === undefined) return null;
  const rootArgumentVariables = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return null; // fragments at the root: do not guess
    for (const argument of selection.arguments ?? []) collectVariables(argument.value, rootArgumentVariables);
  }
  const usedElsewhere = variablesOutsideRootArguments(document, rootArgumentVariables);
  return {
    base: JSON.stringify([source, operationName]),
    rootOnly: new Set([...rootArgumentVariables].filter((name) => !usedElsewhere.has(name))),
  };
}

function collectVariables(value: ValueNode, into: Set<string>): void {
  visit(value, { Variable: (node) => void into.add(node.name.value) });
}

/** Variables referenced anywhere but in the root field arguments (counted per occurrence). */
function variablesOutsideRootArguments(
  document: DocumentNode,
  rootArgumentVariables: Set<string>,
): Set<string> {
  const counts = new Map<string, number>();
  visit(document, {
    VariableDefinition: () => false, // a definition is not a use
    Variable: (node) => void counts.set(node.name.value, (counts.get(node.name.value) ?? 0) + 1),
  });
  const rootUses = new Map<string, number>();
  for (const name of rootArgumentVariables) rootUses.set(name, 1);
  return new Set(
    [...counts].filter(([name, count]) => count > (rootUses.get(name) ?? 0)).map(([name]) => name),
  );
}

function isDirectFeed(value: AsyncIterable<unknown>): value is AsyncIterable<unknown> & DirectFeed {
  const feed = value as Partial<DirectFeed>;
  return typeof feed.deliverDirectly === 'function' && typeof feed.filterMap === 'function';
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Partial<Promise<T>>)?.then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** What a mapper returns to end the iteration at a value: a live feed's own, which then maps for itself. */
type Stop = typeof END_FEED;

/**
 * Maps an async iterable, leaving out the values mapped to undefined and ending (the source returned) at
 * a value mapped to END_FEED, and passes `return` (unsubscribe) through to the source.
 */
function filterMapAsyncIterator<T, U>(
  source: AsyncIterable<T>,
  map: (value: T) => Promise<U | undefined | Stop>,
): AsyncIterableIterator<U> {
  return new FilterMapIterator(source[Symbol.asyncIterator](), map);
}

/**
 * A class: every idle subscription holds one, and an object literal's methods are closures made per
 * subscription (a method under a computed key, such as `[Symbol.asyncIterator]`, even gets a name string
 * of its own).
 */
class FilterMapIterator<T, U> implements AsyncIterableIterator<U> {
  constructor(
    private readonly iterator: AsyncIterator<T>,
    private readonly map: (value: T) => Promise<U | undefined | Stop>,
  ) {}

  // An async function: a promise chain through the values left out would grow by a link per value until
  // one is returned (most never are: they are sent by the shared path).
  async next(): Promise<IteratorResult<U>> {
    for (;;) {
      const step = await this.iterator.next();
      if (step.done) return { done: true, value: undefined };
      const value = await this.map(step.value);
      if (value === END_FEED) return this.return();
      if (value !== undefined) return { done: false, value };
    }
  }

  async return(): Promise<IteratorResult<U>> {
    await this.iterator.return?.();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<U>> {
    await this.iterator.return?.();
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
