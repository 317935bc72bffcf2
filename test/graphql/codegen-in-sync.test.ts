import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig, { RESOLVER_TYPES_PATH } from '../../codegen.js';

describe('generated resolver types', () => {
  it('match schema.graphql (run npm run codegen)', async () => {
    // The generator in-process, with the project's own config, written nowhere: offline and side-effect free.
    const outputs = await generate({ ...codegenConfig, silent: true }, false);
    const generated = (outputs as Array<{ filename: string; content: string }>).find(
      (output) => output.filename === RESOLVER_TYPES_PATH,
    );
    expect(generated, `codegen produced no ${RESOLVER_TYPES_PATH}`).toBeDefined();
    const checkedIn = readFileSync(new URL(`../../${RESOLVER_TYPES_PATH}`, import.meta.url), 'utf8');
    expect(
      checkedIn === generated?.content,
      `${RESOLVER_TYPES_PATH} is out of date: run npm run codegen`,
    ).toBe(true);
  });
});
