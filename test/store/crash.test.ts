import { describe, expect, it } from 'vitest';
import { startChildGateway } from '../support/child-gateway.js';
import { startGateway, storeEnv, temporaryDataDir } from '../support/gateway.js';
import { createDevice, notificationInput, postNotification } from '../support/operations.js';
import { eventually } from '../support/state-operations.js';

describe('a crash of the gateway process', () => {
  it('loses no notification that was answered with success (kill -9 during a burst)', async () => {
    const dataDir = temporaryDataDir();
    // Register the app and the device through an in-process gateway, then hand the store to a child.
    const setup = await startGateway({ dataDir });
    const app = await setup.registerApp('crash.example.com');
    const userToken = await setup.userToken('alice', app.app);
    const unsid = await createDevice(setup.url, userToken, 'WEB');
    await setup.close();

    const child = await startChildGateway(await storeEnv(dataDir), dataDir);
    const appToken = await (async () => {
      const response = await fetch(child.url.replace(/\/graphql$/, '/oauth2/token'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: app.app.id,
          client_secret: app.clientSecret,
        }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    })();
    const acknowledged: string[] = [];
    let killed = false;
    const writers = [0, 1, 2, 3].map(async (writer) => {
      for (let i = 0; !killed; i++) {
        const response = await postNotification(
          child.url,
          appToken,
          notificationInput(unsid, 'crash.example.com', { appNotificationId: `w${writer}-${i}` }),
        ).catch(() => null);
        const id = response?.data?.createNotification?.notification.id;
        if (id) acknowledged.push(id as string);
      }
    });
    await eventually(async () => expect(acknowledged.length).toBeGreaterThanOrEqual(100), 20_000);
    killed = true;
    await child.kill(); // SIGKILL: no shutdown code runs
    await Promise.all(writers);

    const after = await startGateway({ dataDir });
    const store = after.gateway.services.store;
    const feedId = (await store.findDeviceSubscription(unsid))?.feedId as string;
    const stored = new Set(
      (await store.readChanges(feedId, 0, 100_000)).map((change) => change.notification.id),
    );
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
  });
});
