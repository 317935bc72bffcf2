// Generates the Prisma clients (one per database provider) without Prisma's native engines.
// The CLI only insists that a file exists at PRISMA_SCHEMA_ENGINE_BINARY; queries run through the
// WebAssembly query compiler and a driver adapter, so no native engine is needed at run time.
// Run by scripts/build.js when a schema is newer than its client, or on its own: node scripts/prisma-generate.js
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs `prisma generate` for each provider, with the Prisma CLI wherever npm installed it (nested or hoisted). */
export function generatePrismaClients() {
  const prisma = createRequire(import.meta.url).resolve('prisma/build/index.js');
  const env = {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: fileURLToPath(new URL('schema-engine-unavailable.sh', import.meta.url)),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  };
  for (const provider of ['sqlite', 'postgres']) {
    execFileSync(process.execPath, [prisma, 'generate', '--schema', `prisma/${provider}/schema.prisma`], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) generatePrismaClients();
