import type { GraphQLRequestListener } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/graphql/context.js';
import { combinedListener } from '../../src/http/combined-listener.js';

type Listener = GraphQLRequestListener<GatewayContext>;
const context = {} as never;

describe('combinedListener', () => {
  it('calls every listener of a hook in order, and fails as Apollo would: after all were called', async () => {
    const calls: string[] = [];
    const refusal = new Error('refused');
    const combined = combinedListener([
      {
        async didResolveOperation() {
          calls.push('first');
          throw refusal;
        },
      },
      { async willSendResponse() {} },
      {
        async didResolveOperation() {
          calls.push('second');
        },
      },
    ]);
    await expect(combined.didResolveOperation?.(context)).rejects.toBe(refusal);
    expect(calls).toEqual(['first', 'second']);
    expect(Object.keys(combined).sort()).toEqual(['didResolveOperation', 'willSendResponse']);
  });

  it('passes a hook only one listener has on as it is, bound to that listener', async () => {
    const listener = {
      seen: [] as unknown[],
      async willSendResponse(this: { seen: unknown[] }, value: unknown) {
        this.seen.push(value);
      },
    };
    const combined = combinedListener([listener as Listener, {}]);
    await combined.willSendResponse?.(context);
    expect(listener.seen).toEqual([context]);
  });

  it('refuses a listener with a hook whose order it would not keep', () => {
    expect(() => combinedListener([{ async executionDidStart() {} }])).toThrow(TypeError);
  });
});
