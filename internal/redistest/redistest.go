// Package redistest starts a throwaway redis-server on a loopback port for a test, and can
// crash, stop and restart it on the same port, with or without an append-only file.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options choose how the server keeps its data.
type Options struct {
	// AOF turns the append-only file on, in the test's own directory, so that a restart finds
	// what was written before it; off, a restart starts empty (compose.yaml's old setting).
	AOF bool
	// Fsync is appendfsync: "everysec" (the default here and in compose.yaml), "always" or "no".
	Fsync string
}

// Server is a redis-server a test runs. Every process it starts is stopped when the test ends.
type Server struct {
	t    testing.TB
	bin  string
	args []string
	cmd  *exec.Cmd
	// URL is redis://127.0.0.1:PORT/0; it stays the same across restarts.
	URL string
}

// Start runs redis-server with no persistence on a free loopback port, stopped when the test
// ends, and returns its URL. Without redis-server the test is skipped, unless REQUIRE_REDIS is set
// (CI sets it).
func Start(t testing.TB) string {
	t.Helper()
	return Run(t, Options{}).URL
}

// Run starts redis-server as opts say, on a free loopback port.
func Run(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("REQUIRE_REDIS") != "" {
			t.Fatal("redis-server not found; install Debian's redis-server package")
		}
		t.Skip("no redis-server on this machine (apt-get install redis-server); CI runs this test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir()}
	if opts.AOF {
		fsync := opts.Fsync
		if fsync == "" {
			fsync = "everysec"
		}
		args = append(args, "--appendonly", "yes", "--appendfsync", fsync)
	} else {
		args = append(args, "--appendonly", "no")
	}
	s := &Server{t: t, bin: bin, args: args, URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	t.Cleanup(func() { s.signal(syscall.SIGKILL) })
	s.Restart()
	return s
}

// Kill ends the server as a crash does (SIGKILL): what it had not written to disk is lost.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Stop ends the server as an orchestrator does (SIGTERM): it flushes its append-only file first.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

// Restart starts the server again on the same port and directory (it must be stopped or killed
// first; a running server is left alone) and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command(s.bin, s.args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	opts, _ := redis.ParseURL(s.URL)
	client := redis.NewClient(opts)
	defer client.Close()
	// Loading the append-only file answers LOADING until done: wait for a real PONG.
	deadline := time.Now().Add(10 * time.Second)
	for client.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FlushAll forgets every key, as a Redis that lost its data does, without a restart.
func (s *Server) FlushAll() {
	s.t.Helper()
	opts, _ := redis.ParseURL(s.URL)
	client := redis.NewClient(opts)
	defer client.Close()
	if err := client.FlushAll(context.Background()).Err(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) signal(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	_ = s.cmd.Wait()
	s.cmd = nil
}
