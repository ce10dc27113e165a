package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream/sandbox"
)

// TestMain lets the test binary play a started process: it prints a ready line and waits.
func TestMain(m *testing.M) {
	if os.Getenv("LOAD_TEST_CHILD") == "1" {
		fmt.Println("noise")
		fmt.Println("WeDa sandbox listening on http://127.0.0.1:1234")
		fmt.Println("  demo user kongtest: 1550015555555555554")
		fmt.Fprintln(os.Stderr, "a log line")
		time.Sleep(time.Minute) // killed by the test long before
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestStartWaitsForTheReadyLinesAndStops(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "child.log")
	p, err := start(context.Background(), "child", os.Args[0], []string{"-test.run=^$"}, []string{"LOAD_TEST_CHILD=1"}, logPath,
		map[string]*regexp.Regexp{"url": regexp.MustCompile(`listening on (http://\S+)`), "demo": regexp.MustCompile(`demo user \S+: (\d+)`)})
	require.NoError(t, err)
	defer p.stop()
	assert.Equal(t, "http://127.0.0.1:1234", p.lines["url"])
	assert.Equal(t, "1550015555555555554", p.lines["demo"])
	p.resetPeakRSS()
	rss, err := p.peakRSS()
	require.NoError(t, err)
	assert.Positive(t, rss)
	p.stop()
	assert.NotNil(t, p.cmd.ProcessState, "reaped")
}

func TestStartReportsAProcessThatExits(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "child.log")
	_, err := start(context.Background(), "child", os.Args[0], []string{"-test.run=^$"}, nil, logPath,
		map[string]*regexp.Regexp{"url": regexp.MustCompile(`listening on (http://\S+)`)})
	assert.ErrorContains(t, err, "exited before it was ready")
}

func TestPhaseCountsEveryRequestAndEveryFailure(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		b, _ := io.ReadAll(r.Body)
		if n%2 == 0 {
			_, _ = io.WriteString(w, `{"errors":[{"message":"x"}],"body":"`+string(b)+`"}`)
			return
		}
		_, _ = io.WriteString(w, `{"data":{}}`)
	}))
	defer srv.Close()
	tg := target{method: http.MethodPost, url: srv.URL, bodies: [][]byte{[]byte("a"), []byte("b")},
		headers: []http.Header{{"X-Weda-User-Id": {"1"}}}, failed: []byte(`"errors"`)}
	r := phase(context.Background(), newClient(4), tg, 4, 50*time.Millisecond)
	assert.Equal(t, int(served.Load()), r.n, "every request counted has finished")
	assert.Len(t, r.lat, r.n)
	assert.Equal(t, r.n/2, r.errs)
	if r.errs > 0 {
		assert.ErrorContains(t, r.firstErr, `"errors"`)
	}
	assert.LessOrEqual(t, r.pct(0.5), r.pct(0.99))
}

func TestMergeAndPercentiles(t *testing.T) {
	a := result{n: 2, elapsed: time.Second, lat: []time.Duration{1, 3}}
	b := result{n: 2, elapsed: time.Second, errs: 1, lat: []time.Duration{2, 4}}
	m := merge([]result{a, b})
	assert.Equal(t, 4, m.n)
	assert.Equal(t, 1, m.errs)
	assert.Equal(t, []time.Duration{1, 2, 3, 4}, m.lat)
	assert.InDelta(t, 2.0, m.rate(), 1e-9)
	assert.Equal(t, time.Duration(2), m.pct(0.5))
	assert.Equal(t, time.Duration(3), m.pct(0.99))
}

func TestUpstreamTargetSendsTheTracedRequestForEachViewer(t *testing.T) {
	api := &sandboxAPI{base: "http://127.0.0.1:9", token: "tok"}
	r := sandbox.TracedRequest{Method: http.MethodPost, Path: "/weda/workflow/v1/prod/ListProcessInstances",
		Body: `{"UserInfo":{"UserId":"111","Type":4},"PageType":"TODO"}`}
	tg := upstreamTarget(api, r, "111", []string{"111", "222"})
	assert.Equal(t, "http://127.0.0.1:9/weda/workflow/v1/prod/ListProcessInstances", tg.url)
	require.Len(t, tg.bodies, 2)
	assert.Equal(t, r.Body, string(tg.bodies[0]))
	assert.JSONEq(t, `{"UserInfo":{"UserId":"222","Type":4},"PageType":"TODO"}`, string(tg.bodies[1]))
	assert.Equal(t, "Bearer tok", tg.headers[0].Get("Authorization"))

	odata := upstreamTarget(api, sandbox.TracedRequest{Method: http.MethodGet, Path: "/weda/odata/v1/prod/sys_user", Query: "$top=2"}, "1", []string{"1"})
	assert.Equal(t, "http://127.0.0.1:9/weda/odata/v1/prod/sys_user?$top=2", odata.url)
	assert.Equal(t, "sys_user", endpointOf("/weda/odata/v1/prod/sys_user('1')"))
	assert.Equal(t, "2 GetFlowInstanceTasks, 1 ListProcessInstances",
		summary([]sandbox.TracedRequest{{Path: "/x/ListProcessInstances"}, {Path: "/x/GetFlowInstanceTasks"}, {Path: "/x/GetFlowInstanceTasks"}}))
}

func TestLogLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw.log")
	require.NoError(t, os.WriteFile(path, []byte(`{"level":"INFO","msg":"request"}
{"level":"WARN","msg":"header mode"}
{"level":"INFO","msg":"request"}
{"level":"ERROR","msg":"x"}
`), 0o600))
	lines, problems := logLines(path)
	assert.Equal(t, 4, lines)
	assert.Equal(t, 2, problems)
}

// The order of the builds alternates, so an even number of rounds gives each build both places.
func TestRotatedAlternatesWhoGoesFirst(t *testing.T) {
	a, b := &side{g: &gateway{name: "gateway"}}, &side{g: &gateway{name: "base"}}
	sides := []*side{a, b}
	assert.Equal(t, []*side{a, b}, rotated(sides, 1))
	assert.Equal(t, []*side{b, a}, rotated(sides, 2))
	assert.Equal(t, []*side{a, b}, rotated(sides, 3))
	assert.Equal(t, []*side{a}, rotated([]*side{a}, 2))
	assert.Equal(t, []*side{a, b}, sides, "the caller's order is left alone")
}

func TestLineGivesAPhasesFigures(t *testing.T) {
	r := result{n: 4, elapsed: 2 * time.Second, lat: []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond}}
	assert.Equal(t, "      2 req/s p50   2.00ms p99   3.00ms,  1.50 calls/query, RSS  32.0 MiB", line(r, 6, 32<<20, "RSS"))
}
