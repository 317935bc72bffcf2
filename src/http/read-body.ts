import type { IncomingMessage } from 'node:http';

/** Thrown when a request body is larger than the limit; answered with 413. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/**
 * Reads a request body as UTF-8 text, refusing it as soon as it passes `maxBytes` (before it is all
 * buffered), so a large body costs the server at most `maxBytes` of memory.
 * @throws BodyTooLargeError past the limit; the socket's own error if the client goes away.
 */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new BodyTooLargeError(`Request body larger than ${maxBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLargeError(`Request body larger than ${maxBytes} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
