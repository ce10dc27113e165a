// Normalized client caches against a running gateway (scripts/test-clients starts one on the
// sandbox and sets GATEWAY_URL), with the example operations of examples/ as a front-end project
// keeps them, and the two caches front ends use: Apollo Client 4's InMemoryCache, with no
// configuration, and urql's graphcache, with the keys of clients/cache.mjs. The screen story:
// open the inbox, open an item's detail, approve it; then the detail and the counts read from the
// cache must equal what the network answers now. Apollo's development build must not warn
// (`node --conditions=development`, as package.json's test script runs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildClientSchema, getIntrospectionQuery, isObjectType, parse } from 'graphql';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { __DEV__ } from '@apollo/client/utilities/environment';
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { keys } from '../cache.mjs';

const url = process.env.GATEWAY_URL;
const skip = !url && 'GATEWAY_URL is not set';

// The sandbox's seeded users (SANDBOX_SEED=1): ids by their order in the seed.
const seedOrder = ['administrator', 'kongtest'];
const userId = (name) => String(1550000000000000000n + BigInt(seedOrder.indexOf(name) + 1) * 7777777777777n);
const headers = { 'X-Weda-User-Id': userId('kongtest') };

const example = (file) => parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8'));
const Inbox = example('inbox.graphql');
const Header = example('header.graphql');
const Detail = example('detail.graphql');
const Approve = example('approve.graphql');

// warnings collects what a library prints with console.warn or console.error while fn runs.
async function warnings(fn) {
  const seen = [];
  const saved = { warn: console.warn, error: console.error };
  console.warn = (...args) => seen.push(args.map(String).join(' '));
  console.error = console.warn;
  try {
    await fn(seen);
  } finally {
    Object.assign(console, saved);
  }
  return seen;
}

// An approvable item of the inbox: its task and its instance's id. The instance id is asked for
// apart, so that the story works whatever the examples select.
async function approvable(items) {
  const item = items.find((n) => n.canApprove && n.buttons.some((b) => b.action === 'APPROVE'));
  assert.ok(item, 'the demo user has an item to approve');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query: 'query ($t: ID!) { task(id: $t) { instance { id } } }', variables: { t: item.taskId } }),
  });
  const { data } = await res.json();
  return { task: item.taskId, instance: data.task.instance.id };
}

function apollo() {
  return new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: url, headers }) });
}

test('Apollo Client: after Approve the cache holds what the network answers, with no warning', { skip }, async () => {
  assert.ok(__DEV__, "Apollo Client's development build is loaded (node --conditions=development)");
  const seen = await warnings(async () => {
    const client = apollo();
    const fresh = async (query, variables) => (await apollo().query({ query, variables, fetchPolicy: 'network-only' })).data;

    const inbox = (await client.query({ query: Inbox })).data;
    await client.query({ query: Header });
    assert.ok(client.readQuery({ query: Inbox }), 'the inbox stays in the cache after a second query on viewer');
    assert.ok(client.readQuery({ query: Header }), 'the header query is in the cache');

    const { task, instance } = await approvable(inbox.viewer.workItems.nodes);
    await client.query({ query: Detail, variables: { id: instance } });
    await client.mutate({ mutation: Approve, variables: { task } });

    assert.deepEqual(client.readQuery({ query: Detail, variables: { id: instance } }), await fresh(Detail, { id: instance }),
      'the detail screen read from the cache after Approve');
    const now = await fresh(Inbox);
    assert.deepEqual(client.readQuery({ query: Inbox })?.viewer?.workItemCounts, now.viewer.workItemCounts,
      'the counts read from the cache after Approve');
    assert.deepEqual(client.readQuery({ query: Header })?.viewer?.workItemCounts, (await fresh(Header)).viewer.workItemCounts,
      "the header's counts read from the cache after Approve");
  });
  assert.deepEqual(seen, [], "Apollo Client's development build warned");
});

function urql(exchanges) {
  return new Client({ url, exchanges, fetchOptions: { headers } });
}

test('urql graphcache: after Approve the cache holds what the network answers, with no warning', { skip }, async () => {
  const logged = []; // warnings and errors; its debug lines report cache misses, which are normal
  const logger = (severity, message) => severity !== 'debug' && logged.push(`${severity}: ${message}`);
  const client = urql([cacheExchange({ keys, logger }), fetchExchange]);
  const run = async (c, query, variables, context) => {
    const r = await c.query(query, variables, context).toPromise();
    assert.equal(r.error, undefined, String(r.error));
    return r.data;
  };
  const fresh = (query, variables) => run(urql([fetchExchange]), query, variables);

  const inbox = await run(client, Inbox);
  await run(client, Header);
  assert.ok(client.readQuery(Inbox)?.data, 'the inbox stays in the cache after a second query on viewer');
  assert.ok(client.readQuery(Header)?.data, 'the header query is in the cache');

  const { task, instance } = await approvable(inbox.viewer.workItems.nodes);
  await run(client, Detail, { id: instance });
  const approved = await client.mutation(Approve, { task }).toPromise();
  assert.equal(approved.error, undefined, String(approved.error));

  assert.deepEqual(client.readQuery(Detail, { id: instance })?.data, await fresh(Detail, { id: instance }),
    'the detail screen read from the cache after Approve');
  assert.deepEqual(client.readQuery(Inbox)?.data?.viewer?.workItemCounts, (await fresh(Inbox)).viewer.workItemCounts,
    'the counts read from the cache after Approve');
  assert.deepEqual(logged, [], 'graphcache warned');
});

test("graphcache's keys name exactly the object types that have no id", { skip }, async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  const schema = buildClientSchema((await res.json()).data);
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  const idless = Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && !t.name.startsWith('__') && !roots.includes(t) && !t.getFields().id)
    .map((t) => t.name);
  assert.deepEqual(Object.keys(keys).sort(), idless.sort());
});
