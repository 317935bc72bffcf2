import { createDeviceSubscription, type Platform, TidingsClientError } from '../../client/index.js';

/** The platform of the inbox's device subscriptions: what it shows depends on it. */
export const INBOX_PLATFORM: Platform = 'WEB';

const TOKEN_KEY = 'tidings.inbox.token';
const deviceKey = (user: string) => `tidings.inbox.device.${user}`;

export interface Session {
  readonly token: string;
  /** Who the token names, for the page: `sub`, and the app (`azp`) it was issued to. */
  readonly user: string;
  readonly app: string;
}

/**
 * What a pasted token says about its user. Read, not verified: the gateway verifies it on every
 * request; the page only needs a name to show and a key for the device it keeps per user.
 * @throws Error when it is not a JWT.
 */
export function sessionOf(token: string): Session {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('This is not a token (a JWT has three parts separated by dots).');
  let claims: { sub?: unknown; azp?: unknown; client_id?: unknown };
  try {
    claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw new Error('This token cannot be read.');
  }
  const app = claims.azp ?? claims.client_id;
  if (typeof claims.sub !== 'string' || typeof app !== 'string') throw new Error('This is not a user token.');
  return { token, user: claims.sub, app };
}

// A development page: the pasted token stays in localStorage so a second tab is signed in too.
export const savedToken = (): string | null => localStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string) => localStorage.setItem(TOKEN_KEY, token);
export const forgetToken = () => localStorage.removeItem(TOKEN_KEY);

/**
 * This browser's device subscription for the session's user: the one it made before, or a new one.
 * Tabs of the same browser share it, as they share one localStorage.
 */
export async function deviceFor(session: Session, url: string, fresh = false): Promise<string> {
  const key = deviceKey(`${session.app}.${session.user}`);
  const known = localStorage.getItem(key);
  if (known && !fresh) return known;
  const device = await createDeviceSubscription(
    { url, token: () => session.token },
    { platform: INBOX_PLATFORM, deviceLabel: 'Web inbox' },
  );
  localStorage.setItem(key, device.id);
  return device.id;
}

/** A message for the person at the screen. */
export function describe(error: unknown): string {
  if (error instanceof TidingsClientError) {
    if (error.code === 'UNAUTHENTICATED')
      return 'The gateway refused this token (expired?). Paste a new one.';
    if (error.code === 'NETWORK_ERROR') return 'The gateway cannot be reached.';
    return `${error.message} (${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}
