// Subscriptions against a running gateway (scripts/test-clients starts one on the sandbox and sets
// GATEWAY_URL), with the client libraries front-end apps use: graphql-ws over WebSocket and
// graphql-sse over Server-Sent Events. A colleague's approval made through the gateway reaches a
// subscriber without another query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';

const url = process.env.GATEWAY_URL;
const skip = !url && 'GATEWAY_URL is not set';

// The sandbox's seeded users (SANDBOX_SEED=1): ids by their order in the seed.
const seedOrder = ['administrator', 'kongtest', 'lihua', 'wangfang'];
const userId = (name) => String(1550000000000000000n + BigInt(seedOrder.indexOf(name) + 1) * 7777777777777n);

async function gql(user, query, variables) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Weda-User-Id': userId(user) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

// next resolves with the iterator's next value, or fails the test after a bound that only ends
// a broken run.
function next(iterator) {
  return Promise.race([
    iterator.next(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no event came')), 20_000).unref()),
  ]);
}

test('graphql-ws: a colleague\'s approval through the gateway updates my counts', { skip }, async () => {
  const client = createWsClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { 'X-Weda-User-Id': userId('wangfang') },
    retryAttempts: 0,
  });
  try {
    const events = client.iterate({ query: 'subscription Counts { workItemCounts { todo } }' });
    const first = await next(events);
    const before = first.value.data.workItemCounts.todo;

    const started = await gql('lihua', `mutation Start { startFlow(input: { processKey: "leave_request",
      startParameters: { leave: { days: 1 } } }) { instance { id tasks(status: TODO) { nodes { id } } } } }`);
    const task = started.startFlow.instance.tasks.nodes[0].id; // kongtest's, the supervisor's
    await gql('kongtest', `mutation Approve($t: ID!) { completeTask(input: { taskId: $t, action: APPROVE }) { task { status } } }`,
      { t: task });

    const changed = await next(events);
    assert.equal(changed.value.data.workItemCounts.todo, before + 1, 'the approval put a task in my inbox');
    await events.return();
  } finally {
    await client.dispose();
  }
});

test('graphql-ws: without credentials the connection closes with 4401', { skip }, async () => {
  const closed = new Promise((resolve) => {
    const client = createWsClient({
      url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0,
      on: { closed: (event) => resolve(event.code) },
    });
    client.iterate({ query: 'subscription { workItemCounts { todo } }' }).next().catch(() => {});
  });
  assert.equal(await closed, 4401);
});

test('graphql-sse: the counts arrive over Server-Sent Events', { skip }, async () => {
  const client = createSseClient({ url, singleConnection: false, retryAttempts: 0,
    headers: { 'X-Weda-User-Id': userId('kongtest') } });
  try {
    const events = client.iterate({ query: 'subscription Counts { workItemCounts { todo done } }' });
    const first = await next(events);
    assert.equal(typeof first.value.data.workItemCounts.todo, 'number');
    await events.return();
  } finally {
    client.dispose();
  }
});
