// The GraphQL-over-HTTP spec's own audit (npm graphql-http's auditServer) against a running
// gateway (scripts/test-clients starts one on the sandbox and sets GATEWAY_URL). Every MUST, SHOULD
// and MAY must pass, but for the known departures below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditServer } from 'graphql-http';

const url = process.env.GATEWAY_URL;
const user = process.env.GATEWAY_USER_ID; // the demo user, in header mode
const skip = !url && 'GATEWAY_URL is not set';

// Known departures, by audit id. The transport work in gateway/incremental.go removes them; then
// this list is emptied, and the test keeps them away.
const known = new Map([
  // A request error (the document does not parse, does not validate, or its variables do not
  // coerce) under `Accept: application/json` answers 422; the spec advises 200 there.
  ['572B', 'SHOULD use 200 status code on document parsing failure when accepting application/json'],
  ['FDE2', 'SHOULD use 200 status code on document validation failure when accepting application/json'],
  ['7B9B', 'SHOULD use a status code of 200 on variable coercion failure when accepting application/json'],
  // A request that failed before execution carries `"data": null` under
  // application/graphql-response+json; the spec advises no `data` entry at all.
  ['D586', 'SHOULD not contain the data entry on document parsing failure when accepting application/graphql-response+json'],
  ['5E5B', 'SHOULD not contain the data entry on document validation failure when accepting application/graphql-response+json'],
  // A request with no query answers 422; the spec allows 400 for a malformed request.
  ['3E3A', 'MAY use 400 status code if parameters are invalid'],
]);

test("graphql-http's audit: no failure, and no warning or notice but the known ones", { skip }, async () => {
  // The audit's requests come as the demo user: the gateway answers an anonymous query with 401.
  const fetchFn = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('X-Weda-User-Id', user);
    return fetch(input, { ...init, headers });
  };
  const results = await auditServer({ url, fetchFn });
  assert.ok(results.length >= 55, `the audit ran (${results.length} results)`);

  const unexpected = [];
  for (const r of results) {
    if (r.status !== 'ok' && !known.has(r.id)) {
      unexpected.push(`${r.status} ${r.id} ${r.name}: ${r.reason} (HTTP ${r.response.status}: ${(await r.response.text()).slice(0, 200)})`);
    }
  }
  assert.deepEqual(unexpected, [], 'audit results beyond the known departures');

  const mended = results.filter((r) => r.status === 'ok' && known.has(r.id)).map((r) => `${r.id} ${r.name}`);
  assert.deepEqual(mended, [], 'these pass now: take them off the list of known departures');
});
