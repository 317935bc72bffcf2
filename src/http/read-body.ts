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
  if (encoding === undefined) return textOf(await collect(request, maxBytes));
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of decompressed(request, encoding, maxBytes)) {
      size += chunk.length;
      if (size > maxBytes) throw new BodyTooLargeError(`Request body larger than ${maxBytes} bytes.`);
      chunks.push(chunk);
    }
  } catch (error) {
    // Node fails the read with "aborted" (ECONNRESET) when the connection closes mid-body.
    if (request.destroyed && !request.complete && !(error instanceof BodyTooLargeError)) {
      throw clientGone(error);
    }
    throw error;
  }
  return textOf({ chunks, size });
}

const textOf = ({ chunks, size }: { chunks: readonly Buffer[]; size: number }) =>
  chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');

const clientGone = (cause?: unknown) =>
  new ClientGoneError('The client went away before its whole body arrived.', { cause });

/**
 * An uncompressed body's chunks, read with plain listeners: every request with a body comes through
 * here, and an async iterator over the stream cost a few percent of a post's CPU (its promises, its
 * listeners, its stream wrapper). Past `maxBytes` it stops keeping what arrives.
 */
function collect(request: IncomingMessage, maxBytes: number): Promise<{ chunks: Buffer[]; size: number }> {
  // Destroyed already (the client left while the request waited, e.g. for authentication): a destroyed
  // stream emits nothing more, not even what had arrived, and no one is left to answer.
  if (request.destroyed) return Promise.reject(clientGone());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // The rest flows on unread (nothing holds it) while the 413 is sent, which closes the connection.
      stop();
      reject(new BodyTooLargeError(`Request body larger than ${maxBytes} bytes.`));
    }
    function onEnd() {
      stop();
      resolve({ chunks, size });
    }
    // Node fails the read with "aborted" (ECONNRESET) when the connection closes mid-body.
    function onError(error: Error) {
      stop();
      reject(request.complete ? error : clientGone(error));
    }
    // Closed before its end was read: whatever arrived is not the whole body.
    function onClose() {
      stop();
      reject(clientGone());
    }
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
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
