import { getHeapSnapshot } from 'node:v8';

/**
 * Whether these bytes occur in any string of this process's heap (a snapshot collects garbage first). The
 * text to look for is given as a Buffer, outside the heap, so that the search does not find its own copy.
 * V8 keeps the subject of the last regular-expression match (one string per process): this matches
 * something else first, so that a string the code under test last matched does not count as kept.
 */
export async function heapHolds(text: Buffer): Promise<boolean> {
  /./.exec('-');
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).includes(text);
}
