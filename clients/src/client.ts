// A typed GraphQL client in a few lines, over the documents graphql-codegen generated from
// examples/*.graphql: each call's variables and result are checked by the compiler.
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** What execute returns: the data, and the errors of the fields that failed (the rest stands). */
export interface Result<TData> {
  data: TData | null;
  errors?: GraphQLError[];
}

export interface Options {
  url: string;
  headers?: Record<string, string>;
}

/** Variables are required exactly when the operation declares some. */
type VariablesArg<TVariables> = [TVariables] extends [Record<string, never>] ? [] : [variables: TVariables];

export async function execute<TData, TVariables>(
  opts: Options,
  document: TypedDocumentNode<TData, TVariables>,
  ...[variables]: VariablesArg<TVariables>
): Promise<Result<TData>> {
  const response = await fetch(opts.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...opts.headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as Result<TData>;
}
