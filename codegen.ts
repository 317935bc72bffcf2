import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator: resolver types from the public contract (`schema.graphql`), so a resolver that
 * drifts from the schema fails the type check. `npm run codegen` regenerates the output, which is checked
 * in; test/graphql/codegen-in-sync.test.ts fails when it is out of date.
 */
export const RESOLVER_TYPES_PATH = 'src/graphql/generated/resolvers-types.ts';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    [RESOLVER_TYPES_PATH]: {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        // Resolvers see our context and return our domain objects where the schema type is one of them.
        contextType: '../context.js#GatewayContext',
        mappers: {
          Notification: '../../domain/types.js#Notification',
          DeviceSubscription: '../../domain/types.js#DeviceSubscription',
        },
        mapperTypeSuffix: 'Model',
        scalars: { DateTime: 'Date' },
        strictScalars: true,
        // Enums as string unions: the domain's own unions (src/domain/types.ts) are assignable both ways.
        enumsAsTypes: true,
        // Inputs are read, never written; readonly arrays of the domain fit them.
        immutableTypes: true,
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
      },
    },
  },
};

export default config;
