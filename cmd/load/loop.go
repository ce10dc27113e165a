package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// target is what one phase sends: requests to one URL, rotating through bodies and headers.
type target struct {
	method  string
	url     string
	bodies  [][]byte      // request i sends bodies[i % len]
	headers []http.Header // and headers[i % len]
	// failed reports whether a 200 answer is a failure (GraphQL errors, a WeDa Error).
	failed []byte
}

// result is one phase's measurements.
type result struct {
	n, errs  int
	firstErr error
	elapsed  time.Duration
	lat      []time.Duration // sorted
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[int(p*float64(len(r.lat)-1))]
}

// maxPerPhase bounds the requests of one phase, whatever its duration.
const maxPerPhase = 5_000_000

// newClient returns a loopback HTTP client keeping c connections open.
func newClient(c int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: c, MaxIdleConnsPerHost: c, MaxConnsPerHost: c, DisableCompression: true,
		IdleConnTimeout: time.Minute}}
}

// phase sends t's requests from c workers, each one after the other, for d (and at most
// maxPerPhase requests), then waits for those in flight: every request it counts has finished.
func phase(ctx context.Context, client *http.Client, t target, c int, d time.Duration) result {
	var (
		mu   sync.Mutex
		all  []time.Duration
		errs int
		ferr error
		seq  atomic.Int64
		wg   sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	start := time.Now()
	deadline := start.Add(d)
	for range c {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			var myErrs int
			var myErr error
			for {
				i := int(seq.Add(1) - 1)
				if i >= maxPerPhase || ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				if !t0.Before(deadline) {
					break
				}
				err := send(ctx, client, t, i)
				lat = append(lat, time.Since(t0))
				if err != nil {
					myErrs++
					if myErr == nil {
						myErr = err
					}
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += myErrs
			if ferr == nil {
				ferr = myErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	return result{n: len(all), errs: errs, firstErr: ferr, elapsed: elapsed, lat: all}
}

// send makes request i of t and reads its answer whole.
func send(ctx context.Context, client *http.Client, t target, i int) error {
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, bytes.NewReader(t.bodies[i%len(t.bodies)]))
	if err != nil {
		return err
	}
	req.Header = t.headers[i%len(t.headers)].Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || (t.failed != nil && bytes.Contains(out, t.failed)) {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, out)
	}
	return nil
}

// merge joins the phases of several rounds into one result.
func merge(rs []result) result {
	var m result
	for _, r := range rs {
		m.n += r.n
		m.errs += r.errs
		m.elapsed += r.elapsed
		m.lat = append(m.lat, r.lat...)
		if m.firstErr == nil {
			m.firstErr = r.firstErr
		}
	}
	slices.Sort(m.lat)
	return m
}
