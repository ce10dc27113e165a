// Long-lived streams as front-end clients from npm meet them (issue 19's acceptance):
//
// - graphql-ws and graphql-sse subscriptions survive a gateway restart: on SIGTERM the gateway
//   tells them to reconnect (WebSocket close 1012; an SSE stream that ends without `complete`),
//   exits 0, and once it is back the clients resubscribe by themselves and receive the next
//   event on the same iterator. These tests start gateway processes of their own from
//   GATEWAY_BIN (scripts/test-clients exports it) on a loopback port they pick, on the embedded
//   sandbox, and stop them whatever happens.
// - Apollo Client 4 reads @defer (multipart/mixed; deferSpec=20220824) from the gateway at
//   GATEWAY_URL with its Defer20220824Handler: `dataState` is "streaming" until the last part and
//   "complete" after it, and a deferred field is absent, never null, until its part comes. A
//   nested @defer completes.
//
// Waits are bounded only to end a broken run; nothing asserts how long anything took.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql as parseGql } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { tap } from 'rxjs';

const bin = process.env.GATEWAY_BIN;
const url = process.env.GATEWAY_URL;
const needBin = !bin && 'GATEWAY_BIN is not set (scripts/test-clients sets it)';
const needUrl = !url && 'GATEWAY_URL is not set';

// The bound of every wait: long enough that only a broken run reaches it.
const BOUND_MS = 60_000;

// The sandbox's seeded users (SANDBOX_SEED=1): ids by their order in the seed.
const seedOrder = ['administrator', 'kongtest', 'lihua', 'wangfang'];
const userId = (name) => String(1550000000000000000n + BigInt(seedOrder.indexOf(name) + 1) * 7777777777777n);

// within resolves as promise does, or fails after the bound, naming what did not happen.
function within(promise, what, ms = BOUND_MS) {
  let timer;
  const bound = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

// A promise with its resolve function outside.
function signal() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

// ---- gateway processes of the test's own ----

const children = new Set();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); }); // a crashed run leaves none

// freePort is a loopback port no one listens on now; the test keeps it across the restart.
async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

// startGateway runs GATEWAY_BIN on the embedded sandbox (no WEDA_* variables, header auth) on
// port, and resolves once it answers /healthz. stop() kills it if it still runs.
async function startGateway(port) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WEDA_') &&
    !['AUTH_MODE', 'SANDBOX_SEED', 'METRICS_ADDR', 'REDIS_URL', 'PORT', 'SHUTDOWN_DELAY'].includes(k)));
  const child = spawn(bin, [], { env: { ...env, PORT: String(port), SHUTDOWN_DELAY: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk) => { output = (output + chunk).slice(-20_000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
  }).then((how) => { children.delete(child); return how; });
  let gone = false;
  exited.then(() => { gone = true; });
  const gw = {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    exited,
    log: () => output,
    terminate: () => child.kill('SIGTERM'),
    async stop() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    if (gone) throw new Error(`the gateway exited ${JSON.stringify(await exited)}:\n${output}`);
    if (Date.now() > deadline) {
      await gw.stop();
      throw new Error(`the gateway did not answer /healthz within ${BOUND_MS / 1000} s:\n${output}`);
    }
    const res = await request(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    if (res?.status === 200) return gw;
    await sleep(50);
  }
}

// request is one HTTP exchange on a connection of its own (no pool: a restart leaves no stale
// connection behind to fail a later request).
function request(target, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(BOUND_MS, () => req.destroy(new Error(`${method} ${target}: no answer`)));
    req.end(body);
  });
}

async function gql(endpoint, user, query, variables) {
  const res = await request(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Weda-User-Id': userId(user) },
    body: JSON.stringify({ query, variables }),
  });
  assert.equal(res.status, 200, res.text);
  const body = JSON.parse(res.text);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

// A colleague's approval that puts a task in wangfang's inbox: lihua asks for leave, kongtest
// (her supervisor) approves, and the next node is wangfang's.
async function approvalForWangfang(endpoint) {
  const started = await gql(endpoint, 'lihua', `mutation Start { startFlow(input: { processKey: "leave_request",
    startParameters: { leave: { days: 1 } } }) { instance { id tasks(status: TODO) { nodes { id } } } } }`);
  const task = started.startFlow.instance.tasks.nodes[0].id;
  await gql(endpoint, 'kongtest', `mutation Approve($t: ID!) { completeTask(input: { taskId: $t, action: APPROVE }) { task { status } } }`,
    { t: task });
}

const todoOf = async (endpoint) => (await gql(endpoint, 'wangfang', '{ viewer { workItemCounts { todo } } }')).viewer.workItemCounts.todo;

// nextEvent is the iterator's next event, which must be one: not the subscription's end.
async function nextEvent(events, what) {
  const r = await within(events.next(), what);
  assert.equal(r.done, false, `${what}: the subscription completed`);
  assert.equal(r.value.errors, undefined, JSON.stringify(r.value.errors));
  return r.value;
}

// eventWhere skips events until one satisfies pred (an unrelated change may come first).
async function eventWhere(events, pred, what) {
  for (let i = 0; i < 100; i++) {
    const event = await nextEvent(events, what);
    if (pred(event)) return event;
  }
  throw new Error(`${what}: 100 events, none the one awaited`);
}

const counts = 'subscription Counts { workItemCounts { todo } }';

test('graphql-ws: after a gateway restart the client resubscribes by itself and receives the next event', { skip: needBin }, async () => {
  const port = await freePort();
  let gw = await startGateway(port);
  const closes = [];
  const closed = signal();
  const types = [];
  let connections = 0;
  // The client retries once the new process is up: graphql-ws's default shouldRetry gives up on
  // an attempt that fails with an error event rather than a close event (a refused connection, or
  // the 503 a draining gateway answers an upgrade with), so an attempt made while no gateway is
  // there would end the subscription. Waiting for the replacement stands for the other replica a
  // client reconnects to in production; the reconnection and resubscription are the client's own.
  const replaced = signal();
  const client = createWsClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { 'X-Weda-User-Id': userId('wangfang') },
    retryAttempts: 5,
    retryWait: () => replaced.promise,
    on: {
      connected: () => { connections++; },
      closed: (event) => { closes.push(event.code); closed.resolve(event); },
      message: (message) => { types.push(message.type); },
    },
  });
  try {
    const events = client.iterate({ query: counts });
    const first = await nextEvent(events, 'the first workItemCounts event');
    assert.equal(typeof first.data.workItemCounts.todo, 'number');

    gw.terminate();
    const event = await within(closed.promise, 'the socket closes after SIGTERM');
    assert.equal(event.code, 1012, `closed with ${event.code} ${event.reason}: want 1012 (service restart)`);
    assert.deepEqual(await within(gw.exited, 'the gateway exits after SIGTERM'), { code: 0, signal: null },
      `the gateway's exit after SIGTERM:\n${gw.log()}`);

    gw = await startGateway(port); // the same port: a fresh sandbox
    replaced.resolve();
    const again = await nextEvent(events, 'the resubscribed workItemCounts event');
    assert.ok(connections >= 2, 'the event came over a new connection');
    const before = await todoOf(gw.url);
    assert.equal(again.data.workItemCounts.todo, before, 'the new process\'s counts');

    await approvalForWangfang(gw.url);
    await eventWhere(events, (e) => e.data.workItemCounts.todo === before + 1, 'the event of the approval through the new process');
    assert.ok(!types.includes('complete'), `the gateway sent complete: ${types}`);
    assert.equal(closes[0], 1012, `close codes: ${closes}`);
    await events.return();
  } finally {
    replaced.resolve();
    await client.dispose();
    await gw.stop();
  }
});

test('graphql-sse: after a gateway restart the stream ends without complete and the client resubscribes by itself', { skip: needBin }, async () => {
  const port = await freePort();
  let gw = await startGateway(port);
  const messages = [];
  let reconnects = 0;
  const retryMs = 100;
  const client = createSseClient({
    url: `http://127.0.0.1:${port}/graphql`,
    singleConnection: false, // distinct connections mode
    headers: { 'X-Weda-User-Id': userId('wangfang') },
    // Retried through the restart (graphql-sse retries refused connections and 503s), quickly,
    // and for as long as the test waits.
    retryAttempts: BOUND_MS / retryMs,
    retry: () => sleep(retryMs),
    on: {
      connecting: (reconnecting) => { if (reconnecting) reconnects++; },
      message: (message) => { messages.push(message.event); },
    },
  });
  try {
    const events = client.iterate({ query: counts });
    const first = await nextEvent(events, 'the first workItemCounts event');
    assert.equal(typeof first.data.workItemCounts.todo, 'number');

    gw.terminate();
    assert.deepEqual(await within(gw.exited, 'the gateway exits after SIGTERM'), { code: 0, signal: null },
      `the gateway's exit after SIGTERM:\n${gw.log()}`);
    assert.ok(!messages.includes('complete'), `the stream ended with complete: ${messages}`);

    gw = await startGateway(port); // the same port: a fresh sandbox
    const again = await nextEvent(events, 'the resubscribed workItemCounts event');
    assert.ok(reconnects >= 1, 'the event came over a new connection');
    const before = await todoOf(gw.url);
    assert.equal(again.data.workItemCounts.todo, before, 'the new process\'s counts');

    await approvalForWangfang(gw.url);
    await eventWhere(events, (e) => e.data.workItemCounts.todo === before + 1, 'the event of the approval through the new process');
    assert.ok(!messages.includes('complete'), `the gateway sent complete: ${messages}`);
    await events.return();
  } finally {
    client.dispose();
    await gw.stop();
  }
});

// ---- @defer through Apollo Client 4 ----

// apolloDefer watches query through Apollo Client 4 configured for the gateway's incremental
// format (Defer20220824Handler: multipart/mixed; deferSpec=20220824). It returns Apollo's results
// up to the first with dataState "complete", each noting how many parts the link had handed over
// by then and whether the last (hasNext: false) was among them, and every part, once the answer
// has ended.
async function apolloDefer(query) {
  const parts = [];
  let lastSeen = false;
  const answered = signal(); // the link's answer has ended (or failed)
  const counting = new ApolloLink((operation, forward) => forward(operation).pipe(tap({
    next: (part) => {
      parts.push(part);
      if (part.hasNext === false) lastSeen = true;
    },
    complete: () => answered.resolve(),
    error: (err) => answered.resolve(err),
  })));
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.from([counting, new HttpLink({ uri: url, headers: { 'X-Weda-User-Id': userId('kongtest') } })]),
    incrementalHandler: new Defer20220824Handler(),
  });
  const results = [];
  const completed = signal();
  let stopped = false; // results after the first "complete" (or error) are not kept
  const stop = (err) => { stopped = true; completed.resolve(err); };
  const subscription = client.watchQuery({ query }).subscribe({
    next: (result) => {
      if (stopped) return;
      results.push({ ...result, lastSeen, partsSeen: parts.length });
      if (result.error) stop(result.error);
      else if (result.dataState === 'complete') stop();
    },
    error: (err) => { if (!stopped) stop(err); },
  });
  const why = (err) => `${err}: ${JSON.stringify(err?.errors ?? err?.result ?? '')}`;
  try {
    const err = await within(completed.promise, `Apollo Client's result with dataState "complete" (${parts.length} parts read)`);
    assert.equal(err, undefined, why(err));
    // Watched until the answer ends, so that its every part is read.
    const failed = await within(answered.promise, `the answer's end after Apollo's "complete" (${parts.length} parts read: ` +
      `${JSON.stringify(parts).slice(0, 2000)})`);
    assert.equal(failed, undefined, why(failed));
  } finally {
    subscription.unsubscribe();
    client.stop();
  }
  return { results: results.filter((r) => r.dataState !== 'empty'), parts };
}

// The README's InboxFirstPaint (examples/inbox-deferred.graphql) but for WorkItemCounts.id, so that
// the same test runs against gateways older than that field: a to-do list whose items' instances
// (a non-null field) and the box counts are deferred.
const InboxFirstPaint = parseGql(`query InboxFirstPaint {
  viewer {
    id
    workItems(box: TODO, first: 20) {
      nodes {
        id taskId name startTime currentNode { id name }
        ... @defer(label: "history") {
          instance { id status operations { nodes { action comment time operator { id name } } } }
        }
      }
    }
    ... @defer(label: "counts") { workItemCounts { todo done cc } }
  }
}`);

test('Apollo Client 4: @defer is "streaming" until the last part, and a deferred field is absent until then, never null', { skip: needUrl }, async () => {
  const { results, parts } = await apolloDefer(InboxFirstPaint);
  const states = results.map((r) => r.dataState);
  assert.ok(results.at(-1).lastSeen, 'dataState "complete" before the last part (hasNext: false) came: ' +
    `dataStates ${states}, "complete" after ${results.at(-1).partsSeen} of ${parts.length} parts`);
  assert.ok(states.length >= 2, `dataStates: ${states}: want "streaming" before "complete"`);
  assert.deepEqual(states, [...states.slice(0, -1).map(() => 'streaming'), 'complete'], `dataStates: ${states}`);

  // Deferred: viewer.workItemCounts, and each work item's instance.
  const deferred = (data) => [['workItemCounts', data.viewer], ...data.viewer.workItems.nodes.map((n) => ['instance', n])];
  const firstData = results[0].data;
  for (const [field, parent] of deferred(firstData)) {
    assert.notEqual(parent[field], null, `the first result has ${field}: null in ${JSON.stringify(parent)}`);
  }
  assert.ok(deferred(firstData).some(([field, parent]) => !(field in parent)), 'the first result already has every deferred field');
  const whole = results.at(-1).data;
  assert.ok(whole.viewer.workItems.nodes.length > 0, 'the demo user has to-do items');
  for (const [field, parent] of deferred(whole)) {
    assert.equal(typeof parent[field], 'object', `${field} in the complete result`);
    assert.notEqual(parent[field], null, `${field} in the complete result`);
  }
  assert.equal(typeof whole.viewer.workItemCounts.todo, 'number');
});

const nested = parseGql('{ viewer { ... @defer { user { name } ... @defer { workItemCounts { todo } } } } }');

test('Apollo Client 4: a nested @defer completes', { skip: needUrl }, async () => {
  const { results, parts } = await apolloDefer(nested);
  const whole = results.at(-1).data;
  assert.equal(whole.viewer.user?.name, 'kongtest', JSON.stringify(parts));
  assert.equal(typeof whole.viewer.workItemCounts?.todo, 'number', JSON.stringify(parts));
  assert.equal(parts.at(-1).hasNext, false, JSON.stringify(parts));
});

// Each part carries its own fragment's fields (the gateway sets a nested fragment beside its
// parent): were the outer part to carry the inner one's fields too, Apollo Client, finding
// nothing missing, would report "complete" while a part was still to come.
test('Apollo Client 4: a nested @defer is "streaming" until its last part', { skip: needUrl }, async () => {
  const { results, parts } = await apolloDefer(nested);
  assert.ok(results.at(-1).lastSeen, 'dataState "complete" before the last part (hasNext: false) came: "complete" after ' +
    `${results.at(-1).partsSeen} of ${parts.length} parts: ${JSON.stringify(parts)}`);
});
