// Vitest's global set-up: builds before any test file runs (incremental, so about a second when
// nothing changed). The tests that run the real bin (test/cli, child gateways) and the package tests
// then run what the sources say.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function build(): void {
  // Each project (sqlite, postgres+redis) runs its global set-up; one build serves both.
  if (process.env.TIDINGS_TEST_BUILT) return;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.js'], { cwd: root, stdio: 'inherit' });
  process.env.TIDINGS_TEST_BUILT = '1';
}
