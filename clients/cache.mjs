// What a normalized client cache needs to know about the gateway's graph (docs/clients.md), to
// copy into a front-end project.
//
// Apollo Client's InMemoryCache needs nothing: every object a screen refreshes from a mutation's
// payload or a subscription event has an `id` (users, flows, instances, their nodes, tasks, work
// items, messages, the viewer and its counts), and InMemoryCache keys `__typename:id` by default.
//
// urql's graphcache keys the same objects by `id` unaided, but it warns about every other object
// in an answer unless its `keys` say the type has no key. These are those types: pages, edges and
// payloads, and values that only live inside their parent (a history entry, the diagram, an
// approval page), which the parent's next read replaces whole. test/cache.test.mjs checks the
// list against the schema the gateway serves, so a type added later cannot be forgotten here.
//
//   import { cacheExchange } from '@urql/exchange-graphcache';
//   import { keys } from './cache.mjs';
//   const cache = cacheExchange({ keys });

const values = [
  // pages
  'PageInfo',
  'UserConnection', 'UserEdge',
  'FlowInstanceConnection', 'FlowInstanceEdge',
  'TaskConnection', 'TaskEdge',
  'OperationConnection', 'OperationEdge',
  'WorkItemConnection', 'WorkItemEdge',
  'MessageConnection', 'MessageEdge',
  // mutation payloads: what they carry has ids
  'StartFlowPayload', 'CompleteTaskPayload', 'InstancePayload', 'MarkMessagesPayload', 'NextApproverChoice',
  // values inside their parent
  'Operation', 'Canvas', 'CanvasNode', 'CanvasEdge', 'Processor', 'RollbackTarget', 'Button',
  'ApprovalPage', 'PageObject', 'PageObjectList', 'PageOutput',
];

/** graphcache's `keys`: the types embedded in their parent, never normalized. */
export const keys = Object.fromEntries(values.map((type) => [type, () => null]));
