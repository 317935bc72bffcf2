import { specifiedRules } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createDocumentChecker, MAX_CACHED_DOCUMENTS } from '../../src/graphql/document-checker.js';
import { createSchema } from '../../src/graphql/schema.js';

describe('createDocumentChecker', () => {
  it('keeps the documents in use when new texts keep coming, a bounded number in all', () => {
    const check = createDocumentChecker({ schema: createSchema(), rules: specifiedRules, maxTokens: 1000 });
    const inUse = '{ __typename }';
    const first = check(inUse);
    expect(first.errors).toBeUndefined();
    const oldest = '{ a0: __typename }';
    const oldestFirst = check(oldest);
    // Many more distinct texts than the cache holds, the document in use sent between them.
    for (let i = 1; i < 3 * MAX_CACHED_DOCUMENTS; i++) {
      check(`{ a${i}: __typename }`);
      if (i % 100 === 0) expect(check(inUse)).toBe(first); // the same parse, never done again
    }
    expect(check(inUse)).toBe(first);
    // The oldest of the others was let go: checked again, a new (equal) result.
    const again = check(oldest);
    expect(again).not.toBe(oldestFirst);
    expect(again).toEqual(oldestFirst);
  });
});
