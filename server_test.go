package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe to write from one goroutine and read from another.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStandaloneSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "-addr", "127.0.0.1:0"}, func(string) string { return "" }, out,
			slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	var base string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, out.String(), "WEDA_SECRET_ID=sandbox")

	req, err := http.NewRequest(http.MethodPost, base+"/auth/v1/token/clientCredential", strings.NewReader(`{"grant_type":"client_credentials"}`))
	require.NoError(t, err)
	req.SetBasicAuth("sandbox", "sandbox")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the sandbox did not stop")
	}
}

// TestGatewayCommand is README's first command: `go run .` with nothing configured serves the
// gateway over the embedded sandbox, and stops on its signal.
func TestGatewayCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	env := map[string]string{"PORT": "0", "SHUTDOWN_DELAY": "0s"}
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	var base string
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			t.Fatalf("the gateway stopped at once: %v", err)
		default:
		}
		m := regexp.MustCompile(`gateway on (http://localhost:\d+)/`).FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond)
	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "GraphiQL opens")

	port := base[strings.LastIndex(base, ":")+1:]
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, run(context.Background(), []string{"healthcheck"}, func(k string) string {
		return map[string]string{"PORT": port}[k]
	}, io.Discard, quiet), "the Docker health check passes")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the gateway did not stop")
	}
	assert.Error(t, run(context.Background(), []string{"healthcheck"}, func(k string) string {
		return map[string]string{"PORT": port}[k]
	}, io.Discard, quiet), "and fails once it stopped")
}

func TestHelpAndVersion(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, arg := range []string{"--help", "-h", "help"} {
		out := &syncBuffer{}
		require.NoError(t, run(context.Background(), []string{arg}, func(string) string { return "" }, out, quiet), arg)
		assert.Contains(t, out.String(), "healthcheck", arg)
		assert.Contains(t, out.String(), "MAX_QUERY_DEPTH", arg)
	}
	out := &syncBuffer{}
	require.NoError(t, run(context.Background(), []string{"version"}, func(string) string { return "" }, out, quiet))
	assert.Regexp(t, `^weda-gateway dev \(commit \S+, go`, out.String())
	assert.Error(t, run(context.Background(), []string{"serve-please"}, func(string) string { return "" }, io.Discard, quiet))
}

// TestSandboxListensOnLoopback: the sandbox trusts X-Weda-Roles: admin from anyone, so by
// default it is not reachable from the network.
func TestSandboxListensOnLoopback(t *testing.T) {
	t.Setenv("GRAPHIQ", "true") // a typo, warned about at start
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	env := map[string]string{"PORT": "0", "SHUTDOWN_DELAY": "0s"}
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, slog.New(slog.NewJSONHandler(logs, nil)))
	}()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"msg":"listening"`) }, 20*time.Second, 10*time.Millisecond)
	assert.Regexp(t, `"msg":"listening","addr":"127\.0\.0\.1:\d+"`, logs.String())
	assert.Contains(t, logs.String(), "GRAPHIQ is not a setting; did you mean GRAPHIQL?")
	cancel()
	require.NoError(t, <-done)
}

// TestStderrIsJSONOnlyWithRedisDown runs the built binary with REDIS_URL at a closed port: it
// refuses to start, and every line it prints on stderr, go-redis's own included, is a JSON record.
func TestStderrIsJSONOnlyWithRedisDown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "weda-gateway")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang detector only
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "REDIS_URL=redis://127.0.0.1:1/0", "PORT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.Error(t, cmd.Run(), "the gateway refuses to start without its Redis")

	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var redisLines int
	for _, line := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "a line that is not JSON: %q", line)
		if rec["component"] == "redis" {
			redisLines++
		}
	}
	assert.NotZero(t, redisLines, "go-redis's complaints are there, as JSON: %s", stderr.String())
	assert.Contains(t, lines[len(lines)-1], `"msg":"exiting","err":"REDIS_URL does not answer`)
}

// The gateway sets its GC target only when the operator set none.
func TestGCPercentDefault(t *testing.T) {
	pct, ok := gcPercent(func(string) string { return "" })
	assert.True(t, ok)
	assert.Equal(t, 150, pct)
	for _, set := range []string{"100", "off", "50"} {
		_, ok := gcPercent(func(k string) string { return map[string]string{"GOGC": set}[k] })
		assert.False(t, ok, "GOGC=%s is the operator's", set)
	}
}

// TestBadSettingExitsWithOneLine runs the built binary with each value that once passed in
// silence: it exits 1, and its stderr holds one record naming the setting before the exit's.
func TestBadSettingExitsWithOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "weda-gateway")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, bad := range []struct {
		setting string
		env     []string
	}{
		{"LIVE_POLL_INTERVAL", []string{"LIVE_POLL_INTERVAL=2000000h"}},
		{"TRUSTED_PROXIES", []string{"TRUSTED_PROXIES=0.0.0.0/0"}},
		{"TRUSTED_PROXIES", []string{"TRUSTED_PROXIES=::/0"}},
		{"TRUSTED_PROXIES", []string{"TRUSTED_PROXIES=10.1.2.3/8"}},
		{"LIVE_MAX_PER_VIEWER", []string{"LIVE_MAX_PER_VIEWER=60", "LIVE_MAX_SUBSCRIPTIONS=50"}},
		{"MAX_OPERATIONS_PER_VIEWER", []string{"MAX_OPERATIONS_PER_VIEWER=129"}},
		{"MAX_OPERATIONS_PER_CONNECTION", []string{"MAX_OPERATIONS_PER_CONNECTION=25"}},
		{"MAX_CONNECTIONS_PER_VIEWER", []string{"MAX_CONNECTIONS_PER_VIEWER=2001"}},
		{"OPERATION_TIMEOUT", []string{"OPERATION_TIMEOUT=9s"}},
	} {
		t.Run(strings.Join(bad.env, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang detector only
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(append(os.Environ(), "PORT=0"), bad.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			var exit *exec.ExitError
			require.ErrorAs(t, cmd.Run(), &exit)
			assert.Equal(t, 1, exit.ExitCode())
			var problems []string
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				var rec map[string]any
				require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
				if rec["msg"] == "bad setting" {
					problems = append(problems, rec["problem"].(string))
				}
			}
			require.Len(t, problems, 1, stderr.String())
			assert.True(t, strings.HasPrefix(problems[0], bad.setting), problems[0])
		})
	}
}
