import { randomBytes } from 'node:crypto';

// A UNSID is 18 random bytes (144 bits, so one cannot be guessed from another) in base64url: 24 characters
// of A–Z, a–z, 0–9, "-" and "_", without padding. Every UNSID ever issued has this shape.
const UNSID_BYTES = 18;
const UNSID_SHAPE = /^[A-Za-z0-9_-]{24}$/;

/** A new UNSID (a device subscription's id). */
export const newUnsid = (): string => randomBytes(UNSID_BYTES).toString('base64url');

/**
 * Whether `value` has the shape of an issued UNSID. Anything else names no device subscription: it is
 * answered as an unknown UNSID without reading the store (one client's malformed UNSID, a NUL byte that
 * PostgreSQL refuses, would otherwise fail the batched read it shares with other clients' reads).
 */
export const hasUnsidShape = (value: string): boolean => UNSID_SHAPE.test(value);
