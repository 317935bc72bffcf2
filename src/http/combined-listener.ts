import type { GraphQLRequestListener } from '@apollo/server';
import type { GatewayContext } from '../graphql/context.js';

type Listener = GraphQLRequestListener<GatewayContext>;
// The hooks the gateway's listeners use, all of which Apollo calls on every listener at once and awaits
// together (`Promise.all`), so calling them in turn here and awaiting them together is the same.
const COMBINED_HOOKS = ['didResolveOperation', 'didEncounterErrors', 'willSendResponse'] as const;
type CombinedHook = (typeof COMBINED_HOOKS)[number];

/**
 * One request listener doing what each of `listeners` does, in their order: Apollo calls every plugin's
 * `requestDidStart` and every listener's hooks per request, each call a promise, so the gateway's
 * stateless listeners are handed to it as one. A hook only one of them has is passed on as it is.
 * @throws TypeError at once for a listener with a hook not combined here (its order would not be kept).
 */
export function combinedListener(listeners: readonly Listener[]): Listener {
  for (const listener of listeners) {
    for (const [hook, value] of Object.entries(listener)) {
      if (typeof value === 'function' && !(COMBINED_HOOKS as readonly string[]).includes(hook)) {
        throw new TypeError(`combinedListener does not combine the hook ${hook}.`);
      }
    }
  }
  const combined: Listener = {};
  for (const hook of COMBINED_HOOKS) {
    const calls = listeners.flatMap((listener) => {
      const call = listener[hook] as ((context: never) => Promise<void>) | undefined;
      return call ? [call.bind(listener)] : [];
    });
    if (calls.length === 0) continue;
    (combined as Record<CombinedHook, unknown>)[hook] =
      calls.length === 1
        ? calls[0]
        : async (context: never) => {
            await Promise.all(calls.map((call) => call(context)));
          };
  }
  return combined;
}
