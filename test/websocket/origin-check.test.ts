import { describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import { captureLogs } from '../support/logs.js';
import { initSocket, upgradeStatus } from '../support/raw-socket.js';

const APP_ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://elsewhere.example.net';

describe('the Origin of WebSocket upgrades', () => {
  it('refuses a page of an origin not allowed with HTTP 403, and lets listed pages and non-browser clients in', async () => {
    const logs = captureLogs();
    const t = await startGateway({
      env: { TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: APP_ORIGIN },
      logger: logs.logger,
    });
    const app = await t.registerApp('ws-origin.example.com');
    const token = await t.userToken('alice', app.app);

    for (const origin of [OTHER_ORIGIN, 'https://app.example.com:8443', 'null']) {
      expect(await upgradeStatus(t.wsUrl, origin), origin).toBe(403);
    }
    expect(logs.withMessage('websocket upgrade refused: origin not allowed')).toEqual(
      expect.arrayContaining([expect.objectContaining({ origin: OTHER_ORIGIN })]),
    );
    // A listed page, a client that sends no Origin (not a browser), and the gateway's own pages (the inbox).
    expect((await initSocket(t.wsUrl, token, APP_ORIGIN)).outcome).toBe('ack');
    expect((await initSocket(t.wsUrl, token)).outcome).toBe('ack');
    expect((await initSocket(t.wsUrl, token, t.origin)).outcome).toBe('ack');
  });

  it('follows the same defaults as HTTP: none in production, loopback pages in development, any with `*`', async () => {
    const production = await startGateway({ env: { TIDINGS_MODE: 'production' } });
    expect(await upgradeStatus(production.wsUrl, 'http://localhost:5173')).toBe(403);
    expect(await upgradeStatus(production.wsUrl, production.origin)).toBe(101);
    expect(await upgradeStatus(production.wsUrl, undefined)).toBe(101);

    const development = await startGateway();
    expect(await upgradeStatus(development.wsUrl, 'http://localhost:5173')).toBe(101);
    expect(await upgradeStatus(development.wsUrl, 'http://[::1]:3000')).toBe(101);
    expect(await upgradeStatus(development.wsUrl, APP_ORIGIN)).toBe(403);

    const any = await startGateway({ env: { TIDINGS_MODE: 'production', TIDINGS_CORS_ORIGINS: '*' } });
    expect(await upgradeStatus(any.wsUrl, OTHER_ORIGIN)).toBe(101);
  });

  it("takes a proxy's X-Forwarded-Host as the gateway's own host, which a page cannot set", async () => {
    const t = await startGateway({ env: { TIDINGS_MODE: 'production' } });
    const page = 'https://tidings.example.com';
    expect(await upgradeStatus(t.wsUrl, page, { 'x-forwarded-host': 'tidings.example.com' })).toBe(101);
    expect(await upgradeStatus(t.wsUrl, page)).toBe(403);
  });
});
