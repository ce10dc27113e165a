package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeferMerosReadsFirstPart runs a real client library: node reads the multipart answer with
// meros (what Apollo Client and urql use) and reports the first part while the deferred field's
// upstream call is still held at the gate; only then does the test let that call end and the
// reader go on. scripts/test-clients installs clients/ (npm ci) and requires this test
// (REQUIRE_CLIENTS=1); without node or clients/node_modules it is skipped.
func TestDeferMerosReadsFirstPart(t *testing.T) {
	node := nodeWithClients(t)
	gate := newGate("ListProcessInstancesCount")
	h := newHarness(t, gate.install(t))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound on a hung node, not a measurement
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "defer/read-deferred.mjs", h.srv.URL+"/graphql", h.me)
	cmd.Dir = filepath.Join("..", "clients")
	cmd.Env = append(os.Environ(), "QUERY="+deferCounts)
	cmd.WaitDelay = 5 * time.Second
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 0, 64<<10), 1<<20)
	next := func(prefix string) string {
		require.True(t, lines.Scan(), "node ended early: %s", stderr.String())
		line := lines.Text()
		require.True(t, strings.HasPrefix(line, prefix+" "), "want %q, got %q; stderr: %s", prefix, line, stderr.String())
		return strings.TrimPrefix(line, prefix+" ")
	}

	first := decodePart(t, []byte(next("first")))
	opened, ended := gate.state()
	require.False(t, opened, "meros handed over the first part before the deferred call was let through")
	require.Zero(t, ended)
	assert.Contains(t, string(first.Data), `"name":"kongtest"`)
	require.NotNil(t, first.HasNext)
	assert.True(t, *first.HasNext)

	gate.waitArrived(t)
	gate.release()
	_, err = io.WriteString(stdin, "go\n")
	require.NoError(t, err)

	rest := decodePart(t, []byte(next("part")))
	require.Len(t, rest.Incremental, 1)
	assert.Equal(t, "counts", rest.Incremental[0].Label)
	var result struct {
		Data struct {
			Viewer struct {
				User           struct{ Name string }
				WorkItemCounts *struct{ Todo, Done int }
			}
		}
		Errors []any
	}
	require.NoError(t, json.Unmarshal([]byte(next("result")), &result))
	assert.Equal(t, "kongtest", result.Data.Viewer.User.Name)
	require.NotNil(t, result.Data.Viewer.WorkItemCounts, "merged from the later part")
	assert.Equal(t, 24, result.Data.Viewer.WorkItemCounts.Todo)
	assert.Empty(t, result.Errors)
	require.NoError(t, cmd.Wait(), stderr.String())
}

// nodeWithClients finds node and clients/ installed, or skips (fails with REQUIRE_CLIENTS=1).
func nodeWithClients(t *testing.T) string {
	node, err := exec.LookPath("node")
	if err == nil {
		if _, err = os.Stat(filepath.Join("..", "clients", "node_modules", "meros")); err != nil {
			err = fmt.Errorf("clients/ is not installed (cd clients && npm ci): %w", err)
		}
	}
	if err != nil {
		if os.Getenv("REQUIRE_CLIENTS") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return node
}

// syncBuffer is a bytes.Buffer that a process may write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
