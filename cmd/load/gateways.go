package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
)

// gateway is one GraphQL server under measurement: the build being measured, (-base) another
// build started beside it over the same sandbox, so that two builds are compared in the same
// rounds on the same machine rather than across runs, or (-peers) another runtime.
type gateway struct {
	name  string // "gateway", "base" or the peer's
	proc  *proc
	url   string
	admin string // its METRICS_ADDR: allocation counters, and profiles with -cpuprofile; "" for a peer
	log   string
}

func startGateway(ctx context.Context, name, bin, dir string, env []string, profiles bool) (*gateway, error) {
	admin, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env = append(append([]string(nil), env...), "METRICS_ADDR="+admin)
	if profiles {
		env = append(env, "PPROF=true")
	}
	log := filepath.Join(dir, name+".log")
	p, err := start(ctx, name, bin, nil, env, log,
		map[string]*regexp.Regexp{"port": regexp.MustCompile(`http://localhost:(\d+)/graphql`)})
	if err != nil {
		return nil, err
	}
	return &gateway{name: name, proc: p, url: "http://127.0.0.1:" + p.lines["port"], admin: admin, log: log}, nil
}

// side is one server's rounds of one query.
type side struct {
	g       *gateway
	target  target
	results []result
	calls   int64 // upstream calls its phases made
	peak    int64 // its peak RSS over them
	heap    heapCounters
	last    roundResult
}

// roundResult is one phase of one gateway.
type roundResult struct {
	r     result
	calls int64
	rss   int64
}

// round runs one measured phase against s's gateway, with the sandbox's call counter, the
// gateway's peak RSS and its allocation counters read around it; profilePath, when not empty,
// is where its CPU profile goes.
func (s *side) round(ctx context.Context, o options, api *sandboxAPI, client *http.Client, profilePath string) error {
	before, err := api.calls(ctx)
	if err != nil {
		return err
	}
	s.g.proc.resetPeakRSS()
	var heapBefore, heapAfter heapCounters
	if s.g.admin != "" { // a gateway, not a peer
		if heapBefore, err = allocations(ctx, s.g.admin); err != nil {
			return err
		}
	}
	var profiled <-chan error
	if profilePath != "" {
		profiled = profile(ctx, s.g.admin, o.d, profilePath)
	}
	r := phase(ctx, client, s.target, o.c, o.d)
	if profiled != nil {
		if err := <-profiled; err != nil {
			return err
		}
	}
	after, err := api.calls(ctx)
	if err != nil {
		return err
	}
	if s.g.admin != "" {
		if heapAfter, err = allocations(ctx, s.g.admin); err != nil {
			return err
		}
	}
	rss, err := s.g.proc.peakRSS()
	if err != nil {
		return err
	}
	s.results = append(s.results, r)
	s.calls += after - before
	s.peak = max(s.peak, rss)
	s.heap = s.heap.add(heapAfter.sub(heapBefore))
	s.last = roundResult{r: r, calls: after - before, rss: rss}
	return nil
}

// line is a phase's figures: req/s, p50, p99, upstream calls a query, RSS.
func line(r result, calls, rss int64, rssLabel string) string {
	return fmt.Sprintf("%7.0f req/s p50 %8s p99 %8s, %5.2f calls/query, %s %5.1f MiB",
		r.rate(), ms(r.pct(0.5)), ms(r.pct(0.99)), perQuery(calls, r.n), rssLabel, mib(rss))
}

// rotated returns sides starting at the one whose turn it is in this round, so that neither
// build always runs right after the upstream alone.
func rotated(sides []*side, round int) []*side {
	k := (round - 1) % len(sides)
	return append(append([]*side(nil), sides[k:]...), sides[:k]...)
}
