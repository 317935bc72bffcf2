// Generates the Prisma clients (one per database provider) without Prisma's native engines.
// The CLI only insists that a file exists at PRISMA_SCHEMA_ENGINE_BINARY; queries run through the
// WebAssembly query compiler and a driver adapter, so no native engine is needed at run time.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: fileURLToPath(new URL('schema-engine-unavailable.sh', import.meta.url)),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
for (const provider of ['sqlite', 'postgres']) {
  execFileSync(
    process.execPath,
    ['node_modules/prisma/build/index.js', 'generate', '--schema', `prisma/${provider}/schema.prisma`],
    { cwd: root, env, stdio: 'inherit' },
  );
}
