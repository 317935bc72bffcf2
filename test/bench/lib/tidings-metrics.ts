// Tidings' GET /metrics (Prometheus text): its store operations by name, read around a phase of work.

/** `tidings_store_calls_total` by operation, from a running Tidings (url: its /graphql URL). */
export async function storeCalls(graphqlUrl: string): Promise<Map<string, number>> {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'));
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  const calls = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^tidings_store_calls_total\{operation="([^"]+)"\} (\S+)$/.exec(line);
    if (match?.[1] && match[2]) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/** What each operation was called between two readings (operations not called are left out). */
export function callsBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Record<string, number> {
  const difference: Record<string, number> = {};
  for (const [operation, count] of after) {
    const made = count - (before.get(operation) ?? 0);
    if (made > 0) difference[operation] = made;
  }
  return difference;
}
