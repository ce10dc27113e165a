// Command load measures the gateway against the upstream it fronts, in the same run.
//
//	go run ./cmd/load -c 20 -d 10s -rounds 2 -queries A,B,inbox,detail,mix
//
// It builds the gateway once, starts the standalone sandbox (`weda-gateway sandbox`) and the
// gateway over it as two processes of their own, the gateway in its default configuration
// (metrics and the per-request log line on, its log going to a file), with header
// authentication and a per-user rate limit high enough never to trip (it still runs). Then for
// each query it traces the upstream requests the gateway makes for it (the sandbox's
// /_sandbox/trace) and, in alternating rounds at a fixed number of connections, measures the
// baseline request alone, sent straight to the sandbox exactly as the gateway sent it, and the
// gateway. It prints req/s, p50/p99, upstream calls per query (the sandbox's /_sandbox/calls),
// the gateway's peak RSS (VmHWM) and the ratio gateway ÷ upstream alone, with the machine's
// load. Everything is on loopback; everything it starts it stops.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

type options struct {
	c       int
	d       time.Duration
	warm    time.Duration
	rounds  int
	queries []query
	bin     string
	env     []string
	// profiles, when set, is a directory: each query's first gateway round is CPU-profiled into
	// <query>.pprof there (PGO: go tool pprof -proto dir/*.pprof > default.pgo).
	profiles string
}

func main() {
	var o options
	names := flag.String("queries", "A,B,inbox,detail,mix", "comma-separated: A, B, inbox, detail, mix")
	flag.IntVar(&o.c, "c", 20, "concurrent connections")
	flag.DurationVar(&o.d, "d", 10*time.Second, "duration of each measured phase")
	flag.DurationVar(&o.warm, "warmup", time.Second, "unmeasured load before each query's first round")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds, each the upstream alone then the gateway")
	flag.StringVar(&o.bin, "bin", "", "a built weda-gateway binary (default: go build it into a temporary directory)")
	gwEnv := flag.String("env", "", "extra gateway settings, comma-separated NAME=value (e.g. UPSTREAM_COALESCE=false)")
	flag.StringVar(&o.profiles, "cpuprofile", "", "a directory: write the gateway's CPU profile of each query's first round there")
	flag.Parse()
	for _, n := range strings.Split(*names, ",") {
		q, ok := findQuery(strings.TrimSpace(n))
		if !ok {
			fmt.Fprintf(os.Stderr, "load: unknown query %q\n", n)
			os.Exit(2)
		}
		o.queries = append(o.queries, q)
	}
	if *gwEnv != "" {
		o.env = strings.Split(*gwEnv, ",")
	}
	if o.c < 1 || o.c > 1000 || o.d <= 0 || o.d > 10*time.Minute || o.rounds < 1 || o.rounds > 20 {
		fmt.Fprintln(os.Stderr, "load: want 1 ≤ -c ≤ 1000, 0 < -d ≤ 10m, 1 ≤ -rounds ≤ 20")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func findQuery(name string) (query, bool) {
	for _, q := range queries {
		if strings.EqualFold(q.name, name) {
			return q, true
		}
	}
	return query{}, false
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "weda-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := o.bin
	if bin == "" {
		if bin, err = build(ctx, dir); err != nil {
			return err
		}
	}
	sb, err := start(ctx, "sandbox", bin, []string{"sandbox", "-addr", "127.0.0.1:0"}, nil, filepath.Join(dir, "sandbox.log"),
		map[string]*regexp.Regexp{"url": regexp.MustCompile(`listening on (http://\S+)`), "demo": regexp.MustCompile(`demo user \S+: (\d+)`)})
	if err != nil {
		return err
	}
	defer sb.stop()
	env := append([]string{"WEDA_BASE_URL=" + sb.lines["url"], "WEDA_SECRET_ID=sandbox", "WEDA_SECRET_KEY=sandbox",
		"AUTH_MODE=header", "ALLOW_DEV_USER_HEADER=true", "PORT=0", "LISTEN_ADDR=127.0.0.1",
		// One harness is every client: a per-user limit would measure itself. It stays on, at its
		// highest setting (a million a minute, beyond these phases).
		"RATE_LIMIT_REQUESTS=1000000"}, o.env...)
	// The admin port: the gateway's own allocation counters (and profiles with -cpuprofile).
	admin, err := freeAddr()
	if err != nil {
		return err
	}
	env = append(env, "METRICS_ADDR="+admin)
	if o.profiles != "" {
		if err := os.MkdirAll(o.profiles, 0o755); err != nil {
			return err
		}
		env = append(env, "PPROF=true")
	}
	gwLog := filepath.Join(dir, "gateway.log")
	gw, err := start(ctx, "gateway", bin, nil, env, gwLog,
		map[string]*regexp.Regexp{"port": regexp.MustCompile(`http://localhost:(\d+)/graphql`)})
	if err != nil {
		return err
	}
	defer gw.stop()
	gatewayURL := "http://127.0.0.1:" + gw.lines["port"]

	api := &sandboxAPI{base: sb.lines["url"], client: newClient(4)}
	if err := api.login(ctx); err != nil {
		return err
	}
	users, err := api.users(ctx)
	if err != nil {
		return err
	}
	demo := sb.lines["demo"]
	fmt.Printf("weda-gateway load: %d connections, %s × %d rounds (alternating upstream alone / gateway); load average %s\n",
		o.c, o.d, o.rounds, loadavg())
	fmt.Printf("sandbox %s, gateway %s (log %s), %d seeded users, demo user %s\n", api.base, gatewayURL, gwLog, len(users), demo)
	client := newClient(o.c)
	for _, q := range o.queries {
		if err := measure(ctx, o, q, api, gw, client, gatewayURL, admin, demo, users); err != nil {
			return fmt.Errorf("query %s: %w", q.name, err)
		}
	}
	lines, problems := logLines(gwLog)
	fmt.Printf("gateway log: %d lines, %d at level WARN or ERROR; load average at the end: %s\n", lines, problems, loadavg())
	return nil
}

func measure(ctx context.Context, o options, q query, api *sandboxAPI, gw *proc, client *http.Client,
	gatewayURL, admin, demo string, users []string) error {
	var vars map[string]any
	if q.needsInstance {
		id, err := firstInstance(ctx, client, gatewayURL, demo)
		if err != nil {
			return err
		}
		vars = map[string]any{"id": id}
	}
	viewers := []string{demo} // the demo user first: the one traced
	if q.manyViewers {
		for _, u := range users {
			if u != demo {
				viewers = append(viewers, u)
			}
		}
	}
	gt, err := graphqlTarget(gatewayURL, q, vars, viewers)
	if err != nil {
		return err
	}
	// Once cold and traced, once for every other viewer to warm the gateway's caches, then once
	// traced again: the calls a warm gateway makes alone.
	cold, err := api.trace(ctx, func() error { return send(ctx, client, gt, 0) })
	if err != nil {
		return fmt.Errorf("the gateway's answer: %w", err)
	}
	for i := 1; i < len(viewers); i++ {
		if err := send(ctx, client, gt, i); err != nil {
			return fmt.Errorf("the gateway's answer (viewer %s): %w", viewers[i], err)
		}
	}
	traced, err := api.trace(ctx, func() error { return send(ctx, client, gt, 0) })
	if err != nil {
		return err
	}
	base := -1
	for i, r := range traced {
		if endpointOf(r.Path) == q.baseline {
			base = i
			break
		}
	}
	if base < 0 {
		return fmt.Errorf("the gateway made no %s call (it made %s)", q.baseline, summary(traced))
	}
	ut := upstreamTarget(api, traced[base], demo, viewers)
	if err := send(ctx, client, ut, 0); err != nil {
		return fmt.Errorf("the baseline alone: %w", err)
	}
	fmt.Printf("\n%s: %s; %d viewer(s)\n  alone it makes %d upstream calls: %s (the first time: %d: %s); baseline: %s alone\n",
		q.name, q.about, len(viewers), len(traced), summary(traced), len(cold), summary(cold), q.baseline)
	if o.warm > 0 {
		phase(ctx, client, ut, o.c, o.warm)
		phase(ctx, client, gt, o.c, o.warm)
	}
	var ups, gws []result
	var calls int64
	var peak int64
	var heap heapCounters
	for round := 1; round <= o.rounds; round++ {
		u := phase(ctx, client, ut, o.c, o.d)
		ups = append(ups, u)
		before, err := api.calls(ctx)
		if err != nil {
			return err
		}
		gw.resetPeakRSS()
		heapBefore, err := allocations(ctx, admin)
		if err != nil {
			return err
		}
		var profiled <-chan error
		if o.profiles != "" && round == 1 {
			profiled = profile(ctx, admin, o.d, filepath.Join(o.profiles, q.name+".pprof"))
		}
		g := phase(ctx, client, gt, o.c, o.d)
		if profiled != nil {
			if err := <-profiled; err != nil {
				return err
			}
		}
		gws = append(gws, g)
		after, err := api.calls(ctx)
		if err != nil {
			return err
		}
		heapAfter, err := allocations(ctx, admin)
		if err != nil {
			return err
		}
		rss, err := gw.peakRSS()
		if err != nil {
			return err
		}
		calls += after - before
		peak = max(peak, rss)
		heap = heap.add(heapAfter.sub(heapBefore))
		fmt.Printf("  round %d  upstream %8.0f req/s p50 %8s p99 %8s | gateway %7.0f req/s p50 %8s p99 %8s, %5.2f calls/query, RSS %5.1f MiB | ratio %.3f  (load %s)\n",
			round, u.rate(), ms(u.pct(0.5)), ms(u.pct(0.99)), g.rate(), ms(g.pct(0.5)), ms(g.pct(0.99)),
			perQuery(after-before, g.n), mib(rss), g.rate()/u.rate(), loadavg())
		report("upstream", u)
		report("gateway", g)
	}
	u, g := merge(ups), merge(gws)
	fmt.Printf("  %-6s   upstream %8.0f req/s p50 %8s p99 %8s | gateway %7.0f req/s p50 %8s p99 %8s, %5.2f calls/query, peak RSS %5.1f MiB | ratio %.3f\n",
		q.name, u.rate(), ms(u.pct(0.5)), ms(u.pct(0.99)), g.rate(), ms(g.pct(0.5)), ms(g.pct(0.99)),
		perQuery(calls, g.n), mib(peak), g.rate()/u.rate())
	fmt.Printf("  %-6s   the gateway process allocated %.0f objects and %.1f KB a query (its own runtime counters: the upstream client included, the sandbox and this load generator not)\n",
		q.name, perQuery(heap.objects, g.n), perQuery(heap.bytes, g.n)/1024)
	return nil
}

func report(side string, r result) {
	if r.errs > 0 {
		fmt.Printf("    %s: %d of %d requests failed; first: %v\n", side, r.errs, r.n, r.firstErr)
	}
}

func perQuery(calls int64, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(calls) / float64(n)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
