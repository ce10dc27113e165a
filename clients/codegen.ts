// graphql-codegen: typed documents for examples/*.graphql, from the schema the running gateway
// serves (introspection from its URL, as a front-end project does).
//   GATEWAY_URL   the GraphQL endpoint; default http://localhost:8080/graphql (`go run .`)
//   GATEWAY_TOKEN a bearer token, for a gateway in AUTH_MODE=jwt
import type { CodegenConfig } from '@graphql-codegen/cli';

const url = process.env.GATEWAY_URL ?? 'http://localhost:8080/graphql';
const token = process.env.GATEWAY_TOKEN;

const config: CodegenConfig = {
  schema: [{ [url]: { headers: token ? { Authorization: `Bearer ${token}` } : {} } }],
  documents: ['../examples/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        // Every scalar must be mapped: a new one fails generation instead of becoming `any`.
        strictScalars: true,
        scalars: {
          // RFC 3339 in UTC with milliseconds, e.g. 2022-08-02T06:17:15.000Z.
          DateTime: 'string',
          // Free-form JSON (form data, start parameters): any JSON value.
          JSON: '../json#JSONValue',
        },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
