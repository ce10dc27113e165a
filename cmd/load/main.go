// Command load measures the gateway under concurrent load against the sandbox, on loopback only.
//
//	go run ./cmd/load -query inbox -n 300 -c 8 -latency 20ms
//
// It runs the query twice over: with no upstream latency, where the time is the gateway's own
// overhead (plus the in-process sandbox's work), and with -latency on every upstream call, where
// it shows how the gateway's concurrency hides upstream round trips. It reports latency
// percentiles, throughput and upstream calls per query (counted by the sandbox).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/wedagraph/gateway/gateway"
	"github.com/wedagraph/gateway/upstream/sandbox"
)

var queries = map[string]string{
	"simple": `{ viewer { workItemCounts { todo done cc create draft } } }`,
	"inbox": `{ viewer { workItems(box: TODO, first: 20) { totalCount nodes {
		taskId name startTime currentNode { name }
		instance { id status
			tasks { nodes { id status node { name } assignee { id name } } }
			operations { nodes { action comment time operator { id name } } }
		} } } } }`,
	"detail": `{ viewer { workItems(box: TODO, first: 1) { nodes { instance {
		name status startUser { name } currentNode { name }
		tasks { nodes { status assignee { name } } }
		operations { nodes { action operator { name } } }
		canvas { nodes { name status processors { name status } } edges { source target } }
		rollbackTargets { nodeName }
	} } } } }`,
}

func main() {
	name := flag.String("query", "inbox", "simple, inbox or detail")
	n := flag.Int("n", 300, "queries per phase")
	c := flag.Int("c", 8, "concurrent clients")
	latency := flag.Duration("latency", 20*time.Millisecond, "upstream latency of the second phase")
	flag.Parse()
	query, ok := queries[*name]
	if !ok || *n < 1 || *c < 1 {
		fmt.Fprintln(os.Stderr, "usage: load -query simple|inbox|detail -n N -c C -latency D")
		os.Exit(2)
	}
	if err := run(query, *name, *n, *c, *latency); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(query, name string, n, c int, latency time.Duration) error {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sb, err := sandbox.Start("127.0.0.1:0", sandbox.Options{}, quiet)
	if err != nil {
		return err
	}
	defer sb.Close(context.Background())
	env := map[string]string{"WEDA_BASE_URL": sb.URL, "WEDA_SECRET_ID": sandbox.DefaultSecretID,
		"WEDA_SECRET_KEY": sandbox.DefaultSecretKey, "ALLOW_DEV_USER_HEADER": "true",
		"RATE_LIMIT_REQUESTS": "0"} // one client sends it all: the per-client limit would measure itself
	cfg, err := gateway.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	gw, err := gateway.New(cfg, quiet)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = gw.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/graphql"
	body, _ := json.Marshal(map[string]string{"query": query})
	user := sb.UserID(sandbox.DemoUser)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}

	fmt.Printf("query %q, %d queries per phase, %d concurrent clients\n", name, n, c)
	for _, l := range []time.Duration{0, latency} {
		sb.SetLatency("", l, 0)
		if err := send(client, url, body, user); err != nil { // warm: token, query cache
			return err
		}
		sb.ResetCounts()
		durations, elapsed, err := phase(client, url, body, user, n, c)
		if err != nil {
			return err
		}
		calls := int64(0)
		for endpoint, k := range sb.CallCounts() {
			if endpoint != "token" {
				calls += k
			}
		}
		slices.Sort(durations)
		pct := func(p float64) time.Duration { return durations[int(p*float64(len(durations)-1))] }
		label := "no upstream latency (gateway overhead)"
		if l > 0 {
			label = fmt.Sprintf("upstream latency %s", l)
		}
		fmt.Printf("  %-40s p50 %8s  p95 %8s  p99 %8s  %7.1f q/s  %.1f upstream calls/query\n", label,
			pct(0.5).Round(10*time.Microsecond), pct(0.95).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond),
			float64(n)/elapsed.Seconds(), float64(calls)/float64(n))
	}
	return nil
}

func phase(client *http.Client, url string, body []byte, user string, n, c int) ([]time.Duration, time.Duration, error) {
	durations := make([]time.Duration, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for range c {
		wg.Go(func() {
			for i := range jobs {
				t := time.Now()
				err := send(client, url, body, user)
				durations[i] = time.Since(t)
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return durations, time.Since(start), firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func send(client *http.Client, url string, body []byte, user string) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Weda-User-Id", user)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, out)
	}
	return nil
}
