package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wedagraph/gateway/upstream/sandbox"
)

// -peers FILE measures other GraphQL servers over the harness's own sandbox, in the same rounds
// as the gateway, so that the ratio to each comes from one run on one machine. Nothing of the
// peers lives in this repository: the file says how to start each one and what to send it.
//
//	{
//	  "gateway": {"B": "…"},            // optional: the text the gateway is sent for B instead of the harness's own
//	  "peers": [{
//	    "name": "tailcall",
//	    "start": ["/opt/peers/tailcall/bin/tailcall", "start", "/opt/peers/weda/tailcall-weda.graphql"],
//	    "env": {"WEDA_BASE": "{upstream}", "WEDA_TOKEN": "{token}"},
//	    "url": "http://127.0.0.1:18003/graphql",
//	    "headers": {"x-weda-user-id": "{viewer}"},
//	    "queries": {"A": "{ viewer { workItemCounts { pageType total } } }"}
//	  }, {
//	    "name": "tailcall-dedupe", "process": "tailcall", …   // served by the process above
//	  }]
//	}
//
// {upstream} is the sandbox's origin, {token} a bearer token from it, {viewer} the user each
// request is made as. A peer is measured only on the queries it names; its answers must carry
// no "errors"; its process's peak RSS is read like the gateway's.
type peersFile struct {
	Gateway map[string]string `json:"gateway"`
	Peers   []peerSpec        `json:"peers"`
}

type peerSpec struct {
	Name    string            `json:"name"`
	Start   []string          `json:"start"`
	Env     map[string]string `json:"env"`
	Process string            `json:"process"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Queries map[string]string `json:"queries"`
}

// readPeers reads and checks a -peers file.
func readPeers(path string) (*peersFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f peersFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	names := map[string]bool{"gateway": true, "base": true, "upstream": true}
	for q := range f.Gateway {
		if _, ok := findQuery(q); !ok {
			return nil, fmt.Errorf("%s: gateway: no query %q", path, q)
		}
	}
	for _, p := range f.Peers {
		switch {
		case p.Name == "" || names[p.Name]:
			return nil, fmt.Errorf("%s: a peer needs a name of its own (not %q)", path, p.Name)
		case !strings.HasPrefix(p.URL, "http://127.0.0.1:") && !strings.HasPrefix(p.URL, "http://localhost:"):
			return nil, fmt.Errorf("%s: peer %s: the url must be on loopback, not %q", path, p.Name, p.URL)
		case (len(p.Start) > 0) == (p.Process != ""):
			return nil, fmt.Errorf("%s: peer %s: give start (its command) or process (the peer whose process serves it), one of them", path, p.Name)
		case p.Process != "" && !slices.ContainsFunc(f.Peers, func(o peerSpec) bool { return o.Name == p.Process && len(o.Start) > 0 }):
			return nil, fmt.Errorf("%s: peer %s: process %q is no peer the harness starts", path, p.Name, p.Process)
		}
		for q := range p.Queries {
			if _, ok := findQuery(q); !ok {
				return nil, fmt.Errorf("%s: peer %s: no query %q", path, p.Name, q)
			}
		}
		names[p.Name] = true
	}
	return &f, nil
}

// peer is a started peer.
type peer struct {
	spec peerSpec
	proc *proc // its own, or the one it shares
}

// startPeers starts the peers that have a start command, in the file's order, and waits for
// each to answer.
func startPeers(ctx context.Context, f *peersFile, dir, upstream, token string) ([]*peer, error) {
	expand := strings.NewReplacer("{upstream}", upstream, "{token}", token).Replace
	var started []*peer
	byName := map[string]*proc{}
	stopAll := func() {
		for _, p := range started {
			if p.spec.Process == "" {
				p.proc.stop()
			}
		}
	}
	for _, s := range f.Peers {
		p := &peer{spec: s, proc: byName[s.Process]}
		if len(s.Start) > 0 {
			var env []string
			for k, v := range s.Env {
				env = append(env, k+"="+expand(v))
			}
			args := make([]string, len(s.Start)-1)
			for i, a := range s.Start[1:] {
				args[i] = expand(a)
			}
			pr, err := start(ctx, s.Name, s.Start[0], args, env, filepath.Join(dir, s.Name+".log"), nil)
			if err != nil {
				stopAll()
				return nil, err
			}
			p.proc, byName[s.Name] = pr, pr
		}
		started = append(started, p)
		if err := awaitAnswer(ctx, s.URL); err != nil {
			stopAll()
			return nil, fmt.Errorf("peer %s: %w", s.Name, err)
		}
	}
	return started, nil
}

// awaitAnswer waits until url answers a GraphQL POST at all.
func awaitAnswer(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	var err error
	for range 600 { // a minute
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"query":"{__typename}"}`))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("no answer at %s within a minute: %w", url, err)
}

// stopPeers stops what startPeers started.
func stopPeers(ps []*peer) {
	for _, p := range ps {
		if len(p.spec.Start) > 0 {
			p.proc.stop()
		}
	}
}

// peerTarget is a peer's side of a query: its own text for it, its headers per viewer.
func peerTarget(p *peer, text string, vars map[string]any, viewers []string) (target, error) {
	body, err := json.Marshal(map[string]any{"query": text, "variables": vars})
	if err != nil {
		return target{}, err
	}
	t := target{method: http.MethodPost, url: p.spec.URL, bodies: [][]byte{body}, failed: []byte(`"errors"`)}
	for _, v := range viewers {
		h := http.Header{"Content-Type": {"application/json"}}
		for k, val := range p.spec.Headers {
			h.Set(k, strings.ReplaceAll(val, "{viewer}", v))
		}
		t.headers = append(t.headers, h)
	}
	return t, nil
}

// waves counts the dependent rounds of upstream calls in a trace taken while the sandbox delays
// every answer by latency: a call arriving a whole latency after the first of the current round
// waited for one of that round's answers, so it opens the next round.
func waves(reqs []sandbox.TracedRequest, latency time.Duration) int {
	at := make([]int64, len(reqs))
	for i, r := range reqs {
		at[i] = r.AtMicros
	}
	slices.Sort(at)
	n, opened := 0, int64(0)
	for i, a := range at {
		if i == 0 || a >= opened+latency.Microseconds() {
			n, opened = n+1, a
		}
	}
	return n
}
