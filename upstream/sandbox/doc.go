// Package sandbox is an embedded WeDa simulator: a real HTTP server that speaks WeDa's workflow
// OpenAPI and its sys_user OData API (same paths, envelope, field names, quirks and error shapes)
// over a stateful approval engine. The gateway uses it when no WeDa environment is configured,
// and the tests use it as their upstream. The endpoints are those of the vendor's document,
// named by number and title as in package upstream (see its doc.go for the public pages).
//
// It deliberately shares no types with package upstream: the client and the sandbox are two
// independent readings of the vendor document, and the tests check them against each other.
//
// # Where things are
//
// The handlers, one file per API area as in package upstream: flows.go ([2], [3]),
// instances.go ([5], [6], [9], [11], [15], [16], [18], [19]), tasks.go ([4], [7], [8], [10],
// [14], [17]), workbench.go ([12], [13]), messages.go ([20]–[22]) and odata.go ([1], the
// sys_user model and its $filter). endpoints.go routes a workflow call to its handler and holds
// what the handlers share; http.go is the HTTP side (token, envelopes, error shapes); server.go
// the Server and its knobs for tests.
//
// The approval engine: model.go (flows, instances, tasks, codes), engine.go (the state and the
// moves every action shares), engine_tasks.go (what an approver does to a task),
// engine_instances.go (what happens to an instance as a whole), boxes.go and records.go (the
// workbench's boxes and records), seed.go (the demo organisation).
package sandbox
