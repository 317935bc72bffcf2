import { afterAll } from 'vitest';

// Every resource a test support helper opens registers its release here, so a test file that fails
// half-way still leaves no server, socket or temporary directory behind.
const releases: Array<() => Promise<void> | void> = [];

export function onCleanup(release: () => Promise<void> | void): void {
  releases.push(release);
}

afterAll(async () => {
  // Newest first: sockets before the gateway they talk to, gateways before their directories.
  while (releases.length > 0) await releases.pop()?.();
});
