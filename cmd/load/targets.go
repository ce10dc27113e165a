package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wedagraph/gateway/examples"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

// query is one screen the harness measures.
type query struct {
	name, about string
	text        string
	// baseline is the upstream endpoint measured alone beside it: its request exactly as the
	// gateway sends it for this query.
	baseline string
	// manyViewers rotates X-Weda-User-Id (and the baseline's user) across the seeded users.
	manyViewers bool
	// needsInstance passes {"id": an instance in the demo user's inbox} as variables.
	needsInstance bool
}

// The README's screens, sent as README shows them.
var (
	inboxQuery  = examples.MustOperation("inbox.graphql")
	detailQuery = examples.MustOperation("detail.graphql")
)

var queries = []query{
	{name: "A", about: "viewer's box counts (1 upstream call)", baseline: "ListProcessInstancesCount",
		text: `{ viewer { workItemCounts { todo done cc create draft } } }`},
	{name: "B", about: "20 TODO items, each with its instance's tasks (21 calls)", baseline: "ListProcessInstances",
		text: `{ viewer { workItems(box: TODO, first: 20) { nodes { taskId name instance { id status tasks { nodes { id status result } } } } } } }`},
	{name: "inbox", about: "README's inbox screen", baseline: "ListProcessInstances", text: inboxQuery},
	{name: "detail", about: "README's instance detail screen", baseline: "GetFlowInstanceTasks", needsInstance: true,
		text: detailQuery},
	{name: "mix", about: "the inbox screen, each request as the next of the seeded users", baseline: "ListProcessInstances",
		text: inboxQuery, manyViewers: true},
}

// sandboxAPI talks to the standalone sandbox directly, as WeDa's clients do.
type sandboxAPI struct {
	base   string
	token  string
	client *http.Client
}

func (s *sandboxAPI) do(ctx context.Context, method, path string, body []byte, h http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if h != nil {
		req.Header = h
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %.300s", method, path, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// login fetches a bearer token with the demo credentials.
func (s *sandboxAPI) login(ctx context.Context) error {
	h := http.Header{"Authorization": {sandbox.BasicAuth(sandbox.DefaultSecretID, sandbox.DefaultSecretKey)},
		"Content-Type": {"application/json"}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := s.do(ctx, http.MethodPost, "/auth/v1/token/clientCredential", []byte(`{"grant_type":"client_credentials"}`), h, &tok); err != nil {
		return fmt.Errorf("sandbox token: %w", err)
	}
	s.token = tok.AccessToken
	return nil
}

func (s *sandboxAPI) headers() http.Header {
	return http.Header{"Authorization": {"Bearer " + s.token}, "Content-Type": {"application/json; charset=utf-8"},
		"Accept": {"application/json"}, "X-Request-Id": {"load"}}
}

// users lists the seeded users' ids.
func (s *sandboxAPI) users(ctx context.Context) ([]string, error) {
	var list struct {
		Value []struct {
			ID string `json:"_id"`
		} `json:"value"`
	}
	if err := s.do(ctx, http.MethodGet, "/weda/odata/v1/prod/sys_user?$top=200", nil, s.headers(), &list); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list.Value))
	for _, u := range list.Value {
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// calls sums the sandbox's request counts, the token endpoint's aside.
func (s *sandboxAPI) calls(ctx context.Context) (int64, error) {
	var counts map[string]int64
	if err := s.do(ctx, http.MethodGet, "/_sandbox/calls", nil, nil, &counts); err != nil {
		return 0, err
	}
	var n int64
	for k, v := range counts {
		if k != "token" {
			n += v
		}
	}
	return n, nil
}

// trace records the upstream requests fn makes, token requests aside.
func (s *sandboxAPI) trace(ctx context.Context, fn func() error) ([]sandbox.TracedRequest, error) {
	if err := s.do(ctx, http.MethodPost, "/_sandbox/trace", nil, nil, nil); err != nil {
		return nil, err
	}
	ferr := fn()
	var all []sandbox.TracedRequest
	if err := s.do(ctx, http.MethodGet, "/_sandbox/trace", nil, nil, &all); err != nil {
		return nil, err
	}
	var reqs []sandbox.TracedRequest
	for _, r := range all {
		if r.Path != "/auth/v1/token/clientCredential" { // not a call, as the sandbox counts them
			reqs = append(reqs, r)
		}
	}
	return reqs, ferr
}

// endpointOf is the last segment of a WeDa path, as the sandbox counts it.
func endpointOf(path string) string {
	e := path[strings.LastIndex(path, "/")+1:]
	if i := strings.Index(e, "("); i >= 0 {
		e = e[:i]
	}
	return e
}

// summary is "1 ListProcessInstances, 20 GetFlowInstanceTasks, ...".
func summary(reqs []sandbox.TracedRequest) string {
	n := map[string]int{}
	for _, r := range reqs {
		n[endpointOf(r.Path)]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return n[keys[i]] > n[keys[j]] || n[keys[i]] == n[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", n[k], k)
	}
	return strings.Join(parts, ", ")
}

// graphqlTarget is the gateway's side of a query: one body, the viewer's header per user.
func graphqlTarget(gatewayURL string, q query, vars map[string]any, viewers []string) (target, error) {
	body, err := json.Marshal(map[string]any{"query": q.text, "variables": vars})
	if err != nil {
		return target{}, err
	}
	t := target{method: http.MethodPost, url: gatewayURL + "/graphql", bodies: [][]byte{body}, failed: []byte(`"errors"`)}
	for _, v := range viewers {
		t.headers = append(t.headers, http.Header{"Content-Type": {"application/json"}, "X-Weda-User-Id": {v}})
	}
	return t, nil
}

// upstreamTarget is the baseline: the traced request, sent straight to the sandbox, with the
// demo user's id replaced by each viewer's when there are several.
func upstreamTarget(s *sandboxAPI, r sandbox.TracedRequest, demo string, viewers []string) target {
	u := s.base + r.Path
	if r.Query != "" {
		u += "?" + r.Query
	}
	t := target{method: r.Method, url: u, headers: []http.Header{s.headers()}, failed: []byte(`"Error"`)}
	for _, v := range viewers {
		t.bodies = append(t.bodies, []byte(strings.ReplaceAll(r.Body, demo, v)))
	}
	return t
}

// firstInstance is an instance in the demo user's inbox, for the detail screen.
func firstInstance(ctx context.Context, client *http.Client, gatewayURL, demo string) (string, error) {
	t, err := graphqlTarget(gatewayURL, query{text: `{ viewer { workItems(box: TODO, first: 1) { nodes { instance { id } } } } }`}, nil, []string{demo})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.bodies[0]))
	if err != nil {
		return "", err
	}
	req.Header = t.headers[0]
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Viewer struct {
				WorkItems struct {
					Nodes []struct {
						Instance struct{ ID string }
					}
				}
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	if n := out.Data.Viewer.WorkItems.Nodes; len(n) > 0 && n[0].Instance.ID != "" {
		return n[0].Instance.ID, nil
	}
	return "", fmt.Errorf("the demo user %s has no TODO item", demo)
}

// ms formats a latency in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
