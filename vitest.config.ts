import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module). Node, and so Apollo Server and graphql-ws, load
    // the CommonJS build; Vite would give our sources the ESM one, making two GraphQLError classes
    // whose instanceof checks fail across them. Use the build Node uses, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file starts its own gateways on port 0 with its own data directory, so files run in parallel.
    pool: 'forks',
  },
});
