/**
 * How many times a gateway asked its store something, by operation: the gateway's own counts, as its
 * /metrics serves them (`tidings_store_calls_total`).
 */
export async function storeCalls(origin: string, operation: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const match = new RegExp(`^tidings_store_calls_total\\{operation="${operation}"\\} (\\d+)$`, 'm').exec(
    text,
  );
  return Number(match?.[1] ?? 0);
}
