package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wedagraph/gateway/examples"
)

// -memory measures what the gateway's bounds of the work in flight are sized from: the memory
// one idle WebSocket, one with a subscription, and one operation in flight cost the gateway
// process. The gateway runs with those bounds lifted, over a sandbox that answers after
// -latency, so that operations stay in flight.
//
//   - connections: the process's live heap (after a forced collection), RSS and goroutines
//     before and after opening -conns authenticated sockets, then after each takes a
//     subscription; per connection is the difference ÷ the count;
//   - operations: the peak RSS (VmHWM) while N clients each send the inbox screen one after the
//     other, for N = c/4 and N = c; per operation is the slope between the two.

type memoryOptions struct {
	env     []string // the gateway's extra settings (-env)
	conns   int
	c       int
	d       time.Duration
	latency time.Duration
}

func memoryRun(ctx context.Context, bin string, o memoryOptions) error {
	dir, err := os.MkdirTemp("", "weda-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		if bin, err = build(ctx, dir); err != nil {
			return err
		}
	}
	sb, err := start(ctx, "sandbox", bin, []string{"sandbox", "-addr", "127.0.0.1:0", "-latency", o.latency.String()}, nil,
		filepath.Join(dir, "sandbox.log"), map[string]*regexp.Regexp{"url": regexp.MustCompile(`listening on (http://\S+)`),
			"demo": regexp.MustCompile(`demo user \S+: (\d+)`)})
	if err != nil {
		return err
	}
	defer sb.stop()
	big := strconv.Itoa(100_000) // each bound's highest setting
	env := []string{"WEDA_BASE_URL=" + sb.lines["url"], "WEDA_SECRET_ID=sandbox", "WEDA_SECRET_KEY=sandbox",
		"AUTH_MODE=header", "ALLOW_DEV_USER_HEADER=true", "PORT=0", "LISTEN_ADDR=127.0.0.1", "RATE_LIMIT_REQUESTS=0",
		"MAX_OPERATIONS_IN_FLIGHT=" + big, "MAX_OPERATIONS_PER_VIEWER=" + big, "MAX_CONNECTIONS=" + big,
		"MAX_CONNECTIONS_PER_VIEWER=" + big, "LIVE_MAX_SUBSCRIPTIONS=" + big, "LIVE_MAX_PER_VIEWER=10000", "LIVE_POLL_INTERVAL=1h"}
	env = append(env, o.env...)
	gw, err := startGateway(ctx, "gateway", bin, dir, env, true)
	if err != nil {
		return err
	}
	defer gw.proc.stop()
	for i := 0; ; i++ { // the admin port opens just after the public one
		if _, err := adminGet(ctx, "http://"+gw.admin+"/metrics"); err == nil {
			break
		} else if i == 100 {
			return fmt.Errorf("the gateway's admin port: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	demo := sb.lines["demo"]
	fmt.Printf("weda-gateway memory: %d sockets; the inbox at %d clients, the sandbox answering after %s; load average %s\n",
		o.conns, o.c, o.latency, loadavg())
	if err := measureSockets(ctx, gw, demo, o.conns); err != nil {
		return err
	}
	return measureOperations(ctx, gw, demo, o)
}

// footprint is the gateway process's memory at one moment, after a forced collection.
type footprint struct{ heap, rss, goroutines float64 }

func (g *gateway) footprint(ctx context.Context) (footprint, error) {
	// /debug/pprof/heap?gc=1 collects first: what is left is live.
	if _, err := adminGet(ctx, "http://"+g.admin+"/debug/pprof/heap?gc=1"); err != nil {
		return footprint{}, err
	}
	text, err := adminGet(ctx, "http://"+g.admin+"/metrics")
	if err != nil {
		return footprint{}, err
	}
	f := footprint{heap: metricValue(text, "go_memstats_heap_alloc_bytes"), goroutines: metricValue(text, "go_goroutines")}
	f.rss = metricValue(text, "process_resident_memory_bytes")
	return f, nil
}

func adminGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// metricValue is an unlabelled series' value in a Prometheus text page.
func metricValue(text, name string) float64 {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

func measureSockets(ctx context.Context, gw *gateway, user string, n int) error {
	before, err := gw.footprint(ctx)
	if err != nil {
		return err
	}
	url := "ws" + strings.TrimPrefix(gw.url, "http") + "/graphql"
	socks := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range socks {
			_ = c.CloseNow()
		}
	}()
	for range n {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			return fmt.Errorf("socket %d: %w", len(socks), err)
		}
		socks = append(socks, c)
		if err := wsExchange(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"X-Weda-User-Id": user}}, "connection_ack"); err != nil {
			return err
		}
	}
	idle, err := gw.footprint(ctx)
	if err != nil {
		return err
	}
	for i, c := range socks {
		sub := map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "subscription { workItemCounts { todo } }"}}
		if err := wsExchange(ctx, c, sub, "next"); err != nil {
			return fmt.Errorf("subscription %d: %w", i, err)
		}
	}
	subscribed, err := gw.footprint(ctx)
	if err != nil {
		return err
	}
	per := func(a, b footprint) string {
		return fmt.Sprintf("heap %.1f KB, RSS %.1f KB, %.1f goroutines", (b.heap-a.heap)/float64(n)/1024,
			(b.rss-a.rss)/float64(n)/1024, (b.goroutines-a.goroutines)/float64(n))
	}
	fmt.Printf("  an idle authenticated WebSocket:        %s\n", per(before, idle))
	fmt.Printf("  the same with one subscription:         %s\n", per(before, subscribed))
	fmt.Printf("  (process before: heap %.1f MiB, RSS %.1f MiB; with %d subscribed sockets: heap %.1f MiB, RSS %.1f MiB)\n",
		before.heap/(1<<20), before.rss/(1<<20), n, subscribed.heap/(1<<20), subscribed.rss/(1<<20))
	return nil
}

// wsExchange sends m and reads until a message of type want comes.
func wsExchange(ctx context.Context, c *websocket.Conn, m map[string]any, want string) error {
	b, _ := json.Marshal(m)
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		return err
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return err
		}
		var got struct{ Type string }
		_ = json.Unmarshal(data, &got)
		if got.Type == want {
			return nil
		}
	}
}

func measureOperations(ctx context.Context, gw *gateway, user string, o memoryOptions) error {
	body, _ := json.Marshal(map[string]any{"query": examples.MustOperation("inbox.graphql")})
	t := target{method: http.MethodPost, url: gw.url + "/graphql", bodies: [][]byte{body},
		headers: []http.Header{{"Content-Type": {"application/json"}, "X-Weda-User-Id": {user}}}, failed: []byte(`"errors"`)}
	peak := func(c int) (float64, result, error) {
		client := newClient(c)
		defer client.CloseIdleConnections()
		phase(ctx, client, t, c, time.Second) // warm, then measure from the RSS it leaves
		gw.proc.resetPeakRSS()
		var wg sync.WaitGroup
		var r result
		wg.Go(func() { r = phase(ctx, client, t, c, o.d) })
		wg.Wait()
		hwm, err := gw.proc.peakRSS()
		return float64(hwm), r, err
	}
	low := max(o.c/4, 1)
	lowPeak, lowRes, err := peak(low)
	if err != nil {
		return err
	}
	highPeak, highRes, err := peak(o.c)
	if err != nil {
		return err
	}
	for _, r := range []result{lowRes, highRes} {
		report("gateway", r)
	}
	fmt.Printf("  the inbox, %d at once: peak RSS %.1f MiB (%.0f req/s); %d at once: %.1f MiB (%.0f req/s)\n",
		low, lowPeak/(1<<20), lowRes.rate(), o.c, highPeak/(1<<20), highRes.rate())
	fmt.Printf("  one more inbox operation in flight:     RSS %.0f KB\n", (highPeak-lowPeak)/float64(o.c-low)/1024)
	fmt.Printf("load average at the end: %s\n", loadavg())
	return nil
}
