// `npm run docs:config`: rewrites the settings table of README.md from src/config/settings.ts.
// test/config/settings-docs.test.ts fails while the README's table differs from the code's.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSettingsTable } from '../src/config/settings-docs.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readmePath, 'utf8');
const after = withSettingsTable(before);
if (after === before) {
  console.log('README.md: the settings table is up to date.');
} else {
  writeFileSync(readmePath, after);
  console.log('README.md: rewrote the settings table.');
}
