package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream/sandbox"
)

func writePeers(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "peers.json")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestPeersFileIsCheckedBeforeAnythingStarts(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"unknown field":         {`{"peers":[{"name":"x","start":["x"],"url":"http://127.0.0.1:1/","querys":{}}]}`, "unknown field"},
		"no name":               {`{"peers":[{"start":["x"],"url":"http://127.0.0.1:1/"}]}`, "a name of its own"},
		"the gateway's name":    {`{"peers":[{"name":"gateway","start":["x"],"url":"http://127.0.0.1:1/"}]}`, "a name of its own"},
		"twice the same name":   {`{"peers":[{"name":"x","start":["x"],"url":"http://127.0.0.1:1/"},{"name":"x","process":"x","url":"http://127.0.0.1:1/"}]}`, "a name of its own"},
		"not loopback":          {`{"peers":[{"name":"x","start":["x"],"url":"http://example.com/graphql"}]}`, "loopback"},
		"neither":               {`{"peers":[{"name":"x","url":"http://127.0.0.1:1/"}]}`, "one of them"},
		"both":                  {`{"peers":[{"name":"x","start":["x"],"process":"x","url":"http://127.0.0.1:1/"}]}`, "one of them"},
		"no such process":       {`{"peers":[{"name":"x","process":"y","url":"http://127.0.0.1:1/"}]}`, `process "y"`},
		"no such query":         {`{"peers":[{"name":"x","start":["x"],"url":"http://127.0.0.1:1/","queries":{"Z":"{a}"}}]}`, `no query "Z"`},
		"gateway no such query": {`{"gateway":{"Z":"{a}"},"peers":[]}`, `no query "Z"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readPeers(writePeers(t, tc.body))
			assert.ErrorContains(t, err, tc.want)
		})
	}
	f, err := readPeers(writePeers(t, `{"gateway":{"B":"{ b }"},"peers":[
		{"name":"tc","start":["tailcall","start","{upstream}"],"env":{"T":"{token}"},"url":"http://127.0.0.1:18003/graphql","queries":{"A":"{ a }"}},
		{"name":"tc-dedupe","process":"tc","url":"http://127.0.0.1:18003/graphql","queries":{"B":"{ b }"}}]}`))
	require.NoError(t, err)
	assert.Len(t, f.Peers, 2)
	assert.Equal(t, "{ b }", f.Gateway["B"])
}

func TestPeerTargetSendsItsOwnTextAsEachViewer(t *testing.T) {
	p := &peer{spec: peerSpec{URL: "http://127.0.0.1:18003/graphql", Headers: map[string]string{"x-weda-user-id": "{viewer}", "x-static": "s"}}}
	tg, err := peerTarget(p, "{ todo20 { nodes { taskId } } }", nil, []string{"1", "2"})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:18003/graphql", tg.url)
	assert.JSONEq(t, `{"query":"{ todo20 { nodes { taskId } } }","variables":null}`, string(tg.bodies[0]))
	require.Len(t, tg.headers, 2)
	assert.Equal(t, "2", tg.headers[1].Get("X-Weda-User-Id"))
	assert.Equal(t, "s", tg.headers[0].Get("X-Static"))
	assert.Equal(t, []byte(`"errors"`), tg.failed)
}

func TestWavesAreTheCallsThatWaitedForAnAnswer(t *testing.T) {
	at := func(us ...int64) []sandbox.TracedRequest {
		var rs []sandbox.TracedRequest
		for _, u := range us {
			rs = append(rs, sandbox.TracedRequest{AtMicros: u})
		}
		return rs
	}
	l := 30 * time.Millisecond
	assert.Equal(t, 0, waves(nil, l))
	assert.Equal(t, 1, waves(at(0, 400, 2_000), l), "sent together")
	// The inbox: the list; each item's calls, spread over a few milliseconds; the user batch
	// after the last of them answered. Out of order, as a trace may record them.
	assert.Equal(t, 3, waves(at(61_900, 0, 30_400, 31_000, 33_500, 30_900, 64_000), l))
	assert.Equal(t, 2, waves(at(0, 30_000), l), "a whole latency later waited")
}
