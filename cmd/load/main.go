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
// load. With -base, a second build runs beside the first over the same sandbox and is measured
// in the same rounds (their order alternating), for the ratio gateway ÷ base: comparing two
// builds across runs on a shared machine measures the machine. With -latency the sandbox
// answers every call after that long, and each screen's latency is printed over its ideal (its
// waves of dependent calls × the latency). With -peers, other GraphQL servers named in a file
// (peers.go) run over the same sandbox and are measured in the same rounds. Everything is on
// loopback; everything it starts it stops.
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
	base    string // another build measured beside bin, or ""
	env     []string
	// profiles, when set, is a directory: each query's first gateway round is CPU-profiled into
	// <query>.pprof there (PGO: go tool pprof -proto dir/*.pprof > default.pgo).
	profiles string
	peers    *peersFile    // -peers, or nil
	latency  time.Duration // the sandbox's delay of every answer (0: none)
}

func main() {
	var o options
	names := flag.String("queries", "A,B,inbox,detail,mix", "comma-separated: A, B, inbox, detail, mix")
	flag.IntVar(&o.c, "c", 20, "concurrent connections")
	flag.DurationVar(&o.d, "d", 10*time.Second, "duration of each measured phase")
	flag.DurationVar(&o.warm, "warmup", time.Second, "unmeasured load before each query's first round")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds, each the upstream alone then the gateway")
	flag.StringVar(&o.bin, "bin", "", "a built weda-gateway binary (default: go build it into a temporary directory)")
	flag.StringVar(&o.base, "base", "", "another weda-gateway binary (say, main's build) measured beside it in the same rounds: gateway ÷ base")
	gwEnv := flag.String("env", "", "extra gateway settings, comma-separated NAME=value (e.g. UPSTREAM_COALESCE=false)")
	flag.StringVar(&o.profiles, "cpuprofile", "", "a directory: write the gateway's CPU profile of each query's first round there (the base build's in DIR/base)")
	memory := flag.Bool("memory", false, "measure instead the memory a WebSocket and an operation in flight cost the gateway (with -conns, -c, -d, -latency)")
	var mo memoryOptions
	flag.IntVar(&mo.conns, "conns", 1000, "-memory: the WebSockets to open")
	flag.DurationVar(&o.latency, "latency", 0, "the sandbox's delay of every answer: each query's ideal latency is then its waves of dependent calls × this (-memory: default 200ms)")
	peersPath := flag.String("peers", "", "a JSON file of other GraphQL servers to start over the same sandbox and measure in the same rounds (see peers.go)")
	flag.Parse()
	if *peersPath != "" {
		f, err := readPeers(*peersPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(2)
		}
		o.peers = f
	}
	for _, n := range strings.Split(*names, ",") {
		q, ok := findQuery(strings.TrimSpace(n))
		if !ok {
			fmt.Fprintf(os.Stderr, "load: unknown query %q\n", n)
			os.Exit(2)
		}
		if o.peers != nil && o.peers.Gateway[q.name] != "" {
			q.text = o.peers.Gateway[q.name]
		}
		o.queries = append(o.queries, q)
	}
	if *gwEnv != "" {
		o.env = strings.Split(*gwEnv, ",")
	}
	if o.c < 1 || o.c > 1000 || o.d <= 0 || o.d > 10*time.Minute || o.rounds < 1 || o.rounds > 20 || o.latency < 0 || o.latency > time.Minute {
		fmt.Fprintln(os.Stderr, "load: want 1 ≤ -c ≤ 1000, 0 < -d ≤ 10m, 1 ≤ -rounds ≤ 20, 0 ≤ -latency ≤ 1m")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *memory {
		mo.c, mo.d, mo.env, mo.latency = o.c, o.d, o.env, o.latency
		if mo.latency == 0 {
			mo.latency = 200 * time.Millisecond
		}
		if err := memoryRun(ctx, o.bin, mo); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
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
	sb, err := start(ctx, "sandbox", bin, []string{"sandbox", "-addr", "127.0.0.1:0", "-latency", o.latency.String()}, nil, filepath.Join(dir, "sandbox.log"),
		map[string]*regexp.Regexp{"url": regexp.MustCompile(`listening on (http://\S+)`), "demo": regexp.MustCompile(`demo user \S+: (\d+)`)})
	if err != nil {
		return err
	}
	defer sb.stop()
	env := append([]string{"WEDA_BASE_URL=" + sb.lines["url"], "WEDA_SECRET_ID=sandbox", "WEDA_SECRET_KEY=sandbox",
		"AUTH_MODE=header", "ALLOW_DEV_USER_HEADER=true", "PORT=0", "LISTEN_ADDR=127.0.0.1",
		// One harness is every client: a per-user limit would measure itself. It stays on, at its
		// highest setting (a million a minute, beyond these phases).
		"RATE_LIMIT_REQUESTS=1000000",
		// Likewise the bounds of the work in flight (one viewer, -c at once): at their highest.
		"MAX_OPERATIONS_IN_FLIGHT=100000", "MAX_OPERATIONS_PER_VIEWER=100000"}, o.env...)
	if o.profiles != "" {
		dir := o.profiles
		if o.base != "" {
			dir = filepath.Join(o.profiles, "base")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// Each gateway's admin port gives its own allocation counters (and profiles).
	gw, err := startGateway(ctx, "gateway", bin, dir, env, o.profiles != "")
	if err != nil {
		return err
	}
	defer gw.proc.stop()
	gateways := []*gateway{gw}
	if o.base != "" {
		base, err := startGateway(ctx, "base", o.base, dir, env, o.profiles != "")
		if err != nil {
			return err
		}
		defer base.proc.stop()
		gateways = append(gateways, base)
	}

	api := &sandboxAPI{base: sb.lines["url"], client: newClient(4)}
	if err := api.login(ctx); err != nil {
		return err
	}
	users, err := api.users(ctx)
	if err != nil {
		return err
	}
	var peers []*peer
	if o.peers != nil {
		if peers, err = startPeers(ctx, o.peers, dir, sb.lines["url"], api.token); err != nil {
			return err
		}
		defer stopPeers(peers)
	}
	demo := sb.lines["demo"]
	fmt.Printf("weda-gateway load: %d connections, %s × %d rounds (alternating upstream alone / gateway); load average %s\n",
		o.c, o.d, o.rounds, loadavg())
	if o.latency > 0 {
		fmt.Printf("the sandbox answers every call after %s\n", o.latency)
	}
	for _, g := range gateways {
		fmt.Printf("%s %s (log %s)\n", g.name, g.url, g.log)
	}
	for _, p := range peers {
		fmt.Printf("peer %s %s (log %s)\n", p.spec.Name, p.spec.URL, filepath.Join(dir, p.spec.Name+".log"))
	}
	fmt.Printf("sandbox %s, %d seeded users, demo user %s\n", api.base, len(users), demo)
	client := newClient(o.c)
	for _, q := range o.queries {
		if err := measure(ctx, o, q, api, gateways, peers, client, demo, users); err != nil {
			return fmt.Errorf("query %s: %w", q.name, err)
		}
	}
	for _, g := range gateways {
		lines, problems := logLines(g.log)
		fmt.Printf("%s log: %d lines, %d at level WARN or ERROR\n", g.name, lines, problems)
	}
	fmt.Printf("load average at the end: %s\n", loadavg())
	return nil
}

func measure(ctx context.Context, o options, q query, api *sandboxAPI, gateways []*gateway, peers []*peer, client *http.Client,
	demo string, users []string) error {
	var vars map[string]any
	if q.needsInstance {
		id, err := firstInstance(ctx, client, gateways[0].url, demo)
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
	sides := make([]*side, len(gateways))
	for i, g := range gateways {
		t, err := graphqlTarget(g.url, q, vars, viewers)
		if err != nil {
			return err
		}
		sides[i] = &side{g: g, target: t}
	}
	for _, p := range peers {
		text, ok := p.spec.Queries[q.name]
		if !ok {
			continue
		}
		t, err := peerTarget(p, text, vars, viewers)
		if err != nil {
			return err
		}
		sides = append(sides, &side{g: &gateway{name: p.spec.Name, proc: p.proc, url: p.spec.URL}, target: t})
	}
	gt := sides[0].target
	// Once cold and traced, once for every other viewer to warm the gateway's caches, then once
	// traced again: the calls a warm gateway makes alone.
	cold, err := api.trace(ctx, func() error { return send(ctx, client, gt, 0) })
	if err != nil {
		return fmt.Errorf("the gateway's answer: %w", err)
	}
	for _, s := range sides {
		for i := range viewers {
			if s == sides[0] && i == 0 {
				continue
			}
			if err := send(ctx, client, s.target, i); err != nil {
				return fmt.Errorf("the %s's answer (viewer %s): %w", s.g.name, viewers[i], err)
			}
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
	var ideal time.Duration
	if o.latency > 0 {
		w := waves(traced, o.latency)
		ideal = time.Duration(w) * o.latency
		fmt.Printf("  in %d wave(s) of calls, each waiting for the one before: ideal latency %d × %s = %s\n", w, w, o.latency, ideal)
	}
	if o.warm > 0 {
		phase(ctx, client, ut, o.c, o.warm)
		for _, s := range sides {
			phase(ctx, client, s.target, o.c, o.warm)
		}
	}
	ups, err := measureRounds(ctx, o, q, api, client, sides, ut)
	if err != nil {
		return err
	}
	summarize(q, ups, sides, ideal)
	return nil
}

// measureRounds runs the rounds of one query: the upstream alone, then each gateway, their order
// alternating from round to round.
func measureRounds(ctx context.Context, o options, q query, api *sandboxAPI, client *http.Client, sides []*side, ut target) ([]result, error) {
	var ups []result
	for round := 1; round <= o.rounds; round++ {
		u := phase(ctx, client, ut, o.c, o.d)
		ups = append(ups, u)
		for _, s := range rotated(sides, round) {
			path := ""
			if o.profiles != "" && round == 1 && s.g.admin != "" {
				// DIR/B.pprof, and DIR/base/B.pprof for the base build: a PGO profile merged
				// from DIR/*.pprof must not take in the other build's.
				path = filepath.Join(o.profiles, q.name+".pprof")
				if s != sides[0] {
					path = filepath.Join(o.profiles, s.g.name, q.name+".pprof")
				}
			}
			if err := s.round(ctx, o, api, client, path); err != nil {
				return nil, err
			}
		}
		g := sides[0].last
		fmt.Printf("  round %d  upstream %8.0f req/s p50 %8s p99 %8s | gateway %s | ratio %.3f  (load %s)\n",
			round, u.rate(), ms(u.pct(0.5)), ms(u.pct(0.99)), line(g.r, g.calls, g.rss, "RSS"), g.r.rate()/u.rate(), loadavg())
		for _, s := range sides[1:] {
			b := s.last
			fmt.Printf("  round %d  %49s | %-7s %s | ratio %.3f, gateway ÷ %s %.3f\n",
				round, "", s.g.name, line(b.r, b.calls, b.rss, "RSS"), b.r.rate()/u.rate(), s.g.name, g.r.rate()/b.r.rate())
		}
		report("upstream", u)
		for _, s := range sides {
			report(s.g.name, s.last.r)
		}
	}
	return ups, nil
}

// summarize prints a query's figures over every round, and with an ideal latency (-latency),
// what each side adds to it.
func summarize(q query, ups []result, sides []*side, ideal time.Duration) {
	u := merge(ups)
	g := merge(sides[0].results)
	fmt.Printf("  %-6s   upstream %8.0f req/s p50 %8s p99 %8s | gateway %s | ratio %.3f\n",
		q.name, u.rate(), ms(u.pct(0.5)), ms(u.pct(0.99)), line(g, sides[0].calls, sides[0].peak, "peak RSS"), g.rate()/u.rate())
	for _, s := range sides[1:] {
		b := merge(s.results)
		fmt.Printf("  %-6s   %49s | %-7s %s | ratio %.3f, gateway ÷ %s: req/s %.3f, p99 %.3f\n",
			q.name, "", s.g.name, line(b, s.calls, s.peak, "peak RSS"), b.rate()/u.rate(), s.g.name,
			g.rate()/b.rate(), float64(g.pct(0.99))/float64(b.pct(0.99)))
	}
	if ideal > 0 {
		for _, s := range sides {
			r := merge(s.results)
			fmt.Printf("  %-6s   %s over the ideal %s: p50 %+.2fms, p99 %+.2fms\n",
				q.name, s.g.name, ms(ideal), float64((r.pct(0.5)-ideal).Microseconds())/1000, float64((r.pct(0.99)-ideal).Microseconds())/1000)
		}
	}
	for _, s := range sides {
		if s.g.admin == "" { // a peer: no Go runtime counters
			continue
		}
		r := merge(s.results)
		fmt.Printf("  %-6s   the %s process allocated %.0f objects and %.1f KB a query (its own runtime counters: the upstream client included, the sandbox and this load generator not)\n",
			q.name, s.g.name, perQuery(s.heap.objects, r.n), perQuery(s.heap.bytes, r.n)/1024)
	}
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
