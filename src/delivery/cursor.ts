import type { FeedPosition } from '../domain/types.js';
import { badInput } from '../errors.js';

// A cursor is opaque to clients: base64url of "epoch:offset". Only this file knows that.

export const encodeCursor = (position: FeedPosition): string =>
  Buffer.from(`${position.epoch}:${position.offset}`).toString('base64url');

/** @throws GatewayError BAD_USER_INPUT when the string is not a cursor this gateway made. */
export function decodeCursor(cursor: string, field: string): FeedPosition {
  const match = /^([0-9a-f-]{36}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) throw badInput(field, 'Not a valid cursor.');
  return { epoch: match[1], offset: Number(match[2]) };
}
