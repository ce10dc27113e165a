// @defer against a running gateway (scripts/test-clients starts one on the sandbox and sets
// GATEWAY_URL), read by meros as Apollo Client and urql read it; and, for a client that asks
// for JSON only, the same data whole in one answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meros } from 'meros/browser';
import { mergeParts } from '../defer/merge.mjs';

const url = process.env.GATEWAY_URL;
const user = process.env.GATEWAY_USER_ID; // the demo user, in header mode
const query = `query Deferred {
  viewer { user { name } ... @defer(label: "counts") { workItemCounts { todo done } } }
}`;

async function post(accept) {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: accept, 'X-Weda-User-Id': user },
    body: JSON.stringify({ query }),
  });
}

test('a deferred fragment comes as a later part', { skip: !url && 'GATEWAY_URL is not set' }, async () => {
  const response = await post('multipart/mixed;deferSpec=20220824, application/json');
  assert.equal(response.status, 200);
  const parts = await meros(response);
  assert.ok(Symbol.asyncIterator in parts, `multipart, not ${response.headers.get('content-type')}`);
  const bodies = [];
  for await (const part of parts) {
    assert.ok(part.json);
    bodies.push(part.body);
  }
  assert.ok(bodies.length >= 2, JSON.stringify(bodies));
  assert.equal(bodies[0].hasNext, true);
  assert.equal(bodies[0].data.viewer.user.name, 'kongtest');
  assert.equal(bodies.at(-1).hasNext, false);
  const incremental = bodies.slice(1).flatMap((b) => b.incremental);
  assert.deepEqual(incremental.map((i) => [i.label, i.path]), [['counts', ['viewer']]]);
  const whole = mergeParts(bodies);
  assert.equal(typeof whole.data.viewer.workItemCounts.todo, 'number');
  assert.equal(whole.errors, undefined);

  const json = await (await post('application/json')).json();
  assert.deepEqual(json, whole, 'a JSON-only client gets the same data in one answer');
});
