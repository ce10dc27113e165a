package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wedagraph/gateway/gateway"
)

// The benchmarks run the full HTTP stack (router, gqlgen, loaders, client) against an in-process
// sandbox with zero latency: what they measure is the gateway's own cost per query.

func benchmarkQuery(b *testing.B, query string) {
	h := newHarness(b, func(c *gateway.Config) { c.Limits.RateRequests = 0 }) // one client sends every request
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		b.Fatal(err)
	}
	client := h.srv.Client()
	do := func() {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Weda-User-Id", h.me)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(out, []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
	do() // warm the token and the query cache
	h.calls.reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		do()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(h.calls.calls()))/float64(b.N), "upstream-calls/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkSimpleQuery: one upstream call (the viewer's box counts, never cached).
func BenchmarkSimpleQuery(b *testing.B) {
	benchmarkQuery(b, `{ viewer { workItemCounts { todo done cc create draft } } }`)
}

// BenchmarkNestedQuery: the inbox screen, 41 upstream calls (user records come from the shared
// cache after the first run).
func BenchmarkNestedQuery(b *testing.B) {
	benchmarkQuery(b, inboxQuery)
}

// BenchmarkConcurrentTodoTasks is the load harness's query B in process: 20 clients at once ask for
// 20 TODO items, each with its instance's tasks; identical reads in flight are shared.
func BenchmarkConcurrentTodoTasks(b *testing.B) {
	const query = `{ viewer { workItems(box: TODO, first: 20) { nodes { taskId name instance { id status tasks { nodes { id status result } } } } } } }`
	h := newHarness(b, func(c *gateway.Config) { c.Limits.RateRequests = 0 })
	body, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		b.Fatal(err)
	}
	client := h.srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	do := func() error {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Weda-User-Id", h.me)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(out, []byte(`"errors"`)) {
			return fmt.Errorf("status %d: %s", resp.StatusCode, out)
		}
		return nil
	}
	if err := do(); err != nil {
		b.Fatal(err)
	}
	h.calls.reset()
	b.ReportAllocs()
	b.SetParallelism(10) // 20 clients on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := do(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(len(h.calls.calls()))/float64(b.N), "upstream-calls/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkInboxAt20msUpstream: the inbox screen with every upstream call taking 20 ms. It
// reports the time a screen takes beyond its waves of calls (the list and the counts; the 40
// calls per item; the user batch, when the users are not known yet, as with the reference cache
// off here): what the gateway itself adds. The load harness measures the same out of process (-latency).
func BenchmarkInboxAt20msUpstream(b *testing.B) {
	const wave = 20 * time.Millisecond
	h := newHarness(b, func(c *gateway.Config) { c.Limits.RateRequests, c.ReferenceTTL = 0, 0 })
	h.sb.SetLatency("", wave, 0)
	body, err := json.Marshal(map[string]any{"query": inboxQuery})
	if err != nil {
		b.Fatal(err)
	}
	client := h.srv.Client()
	do := func() {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Weda-User-Id", h.me)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(out, []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
	do() // the token
	h.calls.reset()
	b.ResetTimer()
	for b.Loop() {
		do()
	}
	b.StopTimer()
	perOp := b.Elapsed() / time.Duration(b.N)
	calls := h.calls.calls()
	users := 0
	for _, c := range calls {
		if strings.HasPrefix(c, "sys_user") {
			users++
		}
	}
	waves := 2
	if users >= b.N { // each screen waited for its user batch
		waves = 3
	}
	b.ReportMetric(float64(perOp-time.Duration(waves)*wave)/float64(time.Millisecond), "ms-beyond-its-waves")
	b.ReportMetric(float64(waves), "waves")
	b.ReportMetric(float64(len(calls))/float64(b.N), "upstream-calls/op")
}
