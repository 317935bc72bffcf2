import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';

/** Thrown when a request body is larger than the limit; answered with 413. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** Thrown when a compressed body cannot be decompressed; answered with 400. */
export class BadEncodingError extends Error {
  override name = 'BadEncodingError';
}

/** Thrown when the client goes away before its whole body arrived: nothing to answer, nothing wrong here. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

/** The request body encodings `readBody` decompresses. */
export type BodyEncoding = 'gzip' | 'deflate';

/**
 * Reads a request body as UTF-8 text, refusing it as soon as it passes `maxBytes` (before it is all
 * buffered), so a large body costs the server at most `maxBytes` of memory. A compressed body
 * (`encoding`) is decompressed as it arrives, and the limit applies to what it expands to, so a small
 * compressed body cannot expand without bound.
 * @throws BodyTooLargeError past the limit; BadEncodingError for a corrupt compressed body;
 *   ClientGoneError if the client goes away first.
 */
export async function readBody(
  request: IncomingMessage,
  maxBytes: number,
  encoding?: BodyEncoding,
): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new BodyTooLargeError(`Request body larger than ${maxBytes} bytes.`);
  const source = encoding === undefined ? request : decompressed(request, encoding, maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new BodyTooLargeError(`Request body larger than ${maxBytes} bytes.`);
      chunks.push(chunk);
    }
  } catch (error) {
    // Node fails the read with "aborted" (ECONNRESET) when the connection closes mid-body.
    if (request.destroyed && !request.complete && !(error instanceof BodyTooLargeError)) {
      throw new ClientGoneError('The client went away before its whole body arrived.', { cause: error });
    }
    throw error;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The decompressed body; what arrives compressed is held to `maxBytes` too (empty blocks expand to nothing). */
function decompressed(
  request: IncomingMessage,
  encoding: BodyEncoding,
  maxBytes: number,
): AsyncIterable<Buffer> {
  const inflate = encoding === 'gzip' ? createGunzip() : createInflate();
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes)
      inflate.destroy(new BodyTooLargeError(`Request body larger than ${maxBytes} bytes.`));
  });
  request.on('error', (error) => inflate.destroy(error));
  request.pipe(inflate);
  return (async function* () {
    try {
      yield* inflate as AsyncIterable<Buffer>;
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('Z_')) {
        throw new BadEncodingError(`The body is not valid ${encoding} data.`);
      }
      throw error;
    } finally {
      // Stopped early (past the limit): let go of the request and the decompressor.
      request.unpipe(inflate);
      inflate.destroy();
    }
  })();
}
