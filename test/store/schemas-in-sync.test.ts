// One Prisma schema per provider (a generated client only accepts its own provider's adapter), so the
// models are written twice: this keeps the two copies identical, comments included.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function read(provider: string): string {
  return readFileSync(
    fileURLToPath(new URL(`../../prisma/${provider}/schema.prisma`, import.meta.url)),
    'utf8',
  );
}

/**
 * The schema without what legitimately differs: the `generator` and `datasource` blocks, and the file's
 * header comment (the `//` lines before anything else; `///` doc comments belong to the models).
 */
function models(schema: string): string {
  return schema
    .replace(/^(generator|datasource)\s+\w+\s*\{[^}]*\}[ \t]*$/gm, '')
    .replace(/^(\/\/(?!\/).*\n|\s*\n)*/, '')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd();
}

describe('prisma schemas', () => {
  it('declare the same models for SQLite and PostgreSQL', () => {
    const sqlite = models(read('sqlite'));

    expect(sqlite).toMatch(/^\/\/\/ .*\nmodel App \{/);
    expect(
      models(read('postgres')),
      'prisma/postgres/schema.prisma must keep the models of prisma/sqlite/schema.prisma (- sqlite, + postgres)',
    ).toBe(sqlite);
  });

  it('each generate a client of their own for their own provider', () => {
    for (const [provider, datasource] of [
      ['sqlite', 'sqlite'],
      ['postgres', 'postgresql'],
    ]) {
      const schema = read(provider as string);
      expect(schema).toMatch(new RegExp(`datasource db \\{\\s*provider = "${datasource}"\\s*\\}`));
      expect(schema).toContain(`output       = "../../src/store/generated/${provider}"`);
    }
  });
});
