import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/store/generated/sqlite/client.js';
import { isStoreUnavailable } from '../../src/store/unavailable.js';

describe('isStoreUnavailable', () => {
  it("takes a connection lost under a raw query (Prisma's P2010 with no driver code) for an outage", () => {
    // What a Web Push claim met when the test proxy cut PostgreSQL (test/observability/outage-log.test.ts).
    const lost = new Prisma.PrismaClientKnownRequestError(
      'Invalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Code: `N/A`. Message: `Server has closed the connection.`',
      { code: 'P2010', clientVersion: Prisma.prismaVersion.client },
    );
    expect(isStoreUnavailable(lost)).toBe(true);
    // A raw query the database refused is no outage.
    const refused = new Prisma.PrismaClientKnownRequestError(
      'Invalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Code: `42P01`. Message: `relation "Nope" does not exist`',
      { code: 'P2010', clientVersion: Prisma.prismaVersion.client },
    );
    expect(isStoreUnavailable(refused)).toBe(false);
  });
});
