// Reads a @defer query's multipart/mixed answer with meros, the reader Apollo Client and urql
// use, step by step under the control of the Go test that runs it (TestDeferMerosReadsFirstPart
// in gateway/incremental_test.go):
//   node defer/read-deferred.mjs URL USER_ID   (the query in the QUERY environment variable)
// It prints `first <json>` once it has read the first part, waits for a line on stdin, then reads
// the other parts, printing `part <json>` for each, and `result <json>` (the parts merged).
import readline from 'node:readline';
import { meros } from 'meros/browser';
import { mergeParts } from './merge.mjs';

const [url, user] = process.argv.slice(2);
const stdin = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const response = await fetch(url, {
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    Accept: 'multipart/mixed;deferSpec=20220824, application/json',
    'X-Weda-User-Id': user,
  },
  body: JSON.stringify({ query: process.env.QUERY }),
});
const parts = await meros(response);
if (!(Symbol.asyncIterator in parts)) {
  console.error(`not a multipart answer: ${response.status} ${response.headers.get('content-type')}`);
  process.exit(1);
}
const iterator = parts[Symbol.asyncIterator]();
const bodies = [];
const first = await iterator.next();
if (first.done || !first.value.json) {
  console.error('no first JSON part');
  process.exit(1);
}
bodies.push(first.value.body);
console.log(`first ${JSON.stringify(first.value.body)}`);

await stdin.next(); // the test lets the deferred upstream call end
for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
  bodies.push(next.value.body);
  console.log(`part ${JSON.stringify(next.value.body)}`);
}
console.log(`result ${JSON.stringify(mergeParts(bodies))}`);
process.exit(0);
