import { readFileSync } from 'node:fs';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH } from '../../src/graphql/schema.js';
import { startGateway } from '../support/gateway.js';
import { dataOf, graphql } from '../support/graphql-http.js';

/**
 * Every part of the schema a developer reads in Apollo Sandbox's documentation pane that has no
 * description: types, fields, arguments, input fields and enum values (GraphQL's own `__*` types and
 * built-in scalars excepted), as "Type", "Type.field", "Type.field(arg)" or "Enum.VALUE".
 */
function undescribed(introspection: IntrospectionQuery): string[] {
  const schema = buildClientSchema(introspection);
  const missing: string[] = [];
  const check = (description: string | null | undefined, where: string) => {
    if (!description?.trim()) missing.push(where);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    check(type.description, type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(field.description, `${type.name}.${field.name}`);
        for (const arg of field.args) check(arg.description, `${type.name}.${field.name}(${arg.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        check(field.description, `${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(value.description, `${type.name}.${value.name}`);
    }
  }
  return missing.sort();
}

describe('schema documentation', () => {
  it('describes every type, field, argument, input field and enum value the running gateway serves', async () => {
    const t = await startGateway();
    const app = await t.registerApp('docs.example.com');
    const token = await t.userToken('alice', app.app);
    const introspection = dataOf(
      await graphql<IntrospectionQuery>(t.url, getIntrospectionQuery(), {}, token),
    );
    // The scalar built in code (src/graphql/scalars.ts) replaces the SDL's: it must say the same.
    const served = introspection.__schema.types.find((type) => type.name === 'DateTime');
    const written = buildSchema(readFileSync(SCHEMA_PATH, 'utf8')).getType('DateTime');
    expect(written?.description).toMatch(/ISO 8601/);
    expect(served?.description).toBe(written?.description);
    expect(undescribed(introspection)).toEqual([]);
  });
});
