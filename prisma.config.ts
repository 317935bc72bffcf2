// Prisma CLI configuration. Only `prisma generate` is run through the CLI here: migrations go through
// our offline command (`npm run migrate`), because the CLI's native schema engine cannot be downloaded
// on every machine (see scripts/prisma-generate.js).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/sqlite/schema.prisma',
  migrations: { path: 'prisma/sqlite/migrations' },
});
