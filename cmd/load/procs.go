package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// proc is a process the harness started: the sandbox, a gateway or a peer.
type proc struct {
	name  string
	cmd   *exec.Cmd
	lines map[string]string // the first submatch of each ready pattern, by pattern name
}

// moduleRoot is the directory of the gateway's main package.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// build compiles the gateway once into dir; the sandbox is its `sandbox` subcommand.
func build(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "weda-gateway")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the gateway: %w", err)
	}
	return bin, nil
}

// start runs bin with args and env (nothing inherited but PATH, HOME and TMPDIR), its stderr
// going to logPath, and waits until its stdout has matched every pattern in ready (if any).
func start(ctx context.Context, name, bin string, args, env []string, logPath string, ready map[string]*regexp.Regexp) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting the %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, lines: map[string]string{}}
	found := make(chan struct{})
	exited := make(chan struct{})
	go func() { // reads stdout to its end, so the process never blocks on it
		defer close(exited)
		defer logf.Close()
		sc := bufio.NewScanner(stdout)
		done := len(ready) == 0 // nothing to wait for
		if done {
			close(found)
		}
		for sc.Scan() {
			if done {
				continue
			}
			for k, re := range ready {
				if m := re.FindStringSubmatch(sc.Text()); m != nil {
					p.lines[k] = m[1]
				}
			}
			if len(p.lines) == len(ready) {
				done = true
				close(found)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	t := time.NewTimer(60 * time.Second)
	defer t.Stop()
	select {
	case <-found:
		return p, nil
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	case <-exited:
		p.stop()
		return nil, fmt.Errorf("the %s exited before it was ready: %s", name, tail(logPath))
	case <-t.C:
		p.stop()
		return nil, fmt.Errorf("the %s did not say it was ready within 60s: %s", name, tail(logPath))
	}
}

// stop kills the process and reaps it.
func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// resetPeakRSS makes the kernel's VmHWM start again from the current RSS (Linux ≥ 4.0).
func (p *proc) resetPeakRSS() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// peakRSS is the process's VmHWM in bytes.
func (p *proc) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("reading VmHWM %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// loadavg is the machine's load, as uptime shows it.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// tail is the end of a log file, for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.TrimSpace(string(b))
}

// logLines counts the lines of a JSON log and those at level WARN or ERROR.
func logLines(path string) (lines, problems int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(b)) {
		lines++
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			problems++
		}
	}
	return lines, problems
}

// freeAddr returns a loopback address nobody listens on, for the gateway's admin port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// profile records the gateway's CPU for most of a phase of length d into path; the channel
// says how that went once the profile is written.
func profile(ctx context.Context, admin string, d time.Duration, path string) <-chan error {
	done := make(chan error, 1)
	secs := max(int((d - d/5).Seconds()), 1) // ends inside the phase: never an idle tail
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", admin, secs), nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- fmt.Errorf("profiling the gateway: %w", err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("profiling the gateway: HTTP %d", resp.StatusCode)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		if _, err = io.Copy(f, resp.Body); err == nil {
			fmt.Printf("  CPU profile of round 1: %s\n", path)
		}
		done <- errors.Join(err, f.Close())
	}()
	return done
}

// heapCounters are the gateway's cumulative allocations, from its Go runtime.
type heapCounters struct{ objects, bytes int64 }

func (h heapCounters) sub(o heapCounters) heapCounters {
	return heapCounters{h.objects - o.objects, h.bytes - o.bytes}
}

func (h heapCounters) add(o heapCounters) heapCounters {
	return heapCounters{h.objects + o.objects, h.bytes + o.bytes}
}

// allocations reads the gateway's go_memstats_mallocs_total and go_memstats_alloc_bytes_total
// from its metrics.
func allocations(ctx context.Context, admin string) (heapCounters, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/metrics", nil)
	if err != nil {
		return heapCounters{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return heapCounters{}, fmt.Errorf("the gateway's metrics: %w", err)
	}
	defer resp.Body.Close()
	var h heapCounters
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		var dst *int64
		switch name {
		case "go_memstats_mallocs_total":
			dst = &h.objects
		case "go_memstats_alloc_bytes_total":
			dst = &h.bytes
		}
		if !ok || dst == nil {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return heapCounters{}, fmt.Errorf("the gateway's metrics: %s: %w", name, err)
		}
		*dst = int64(f)
		found++
	}
	if err := sc.Err(); err != nil {
		return heapCounters{}, err
	}
	if found != 2 {
		return heapCounters{}, errors.New("the gateway's metrics lack go_memstats_mallocs_total or go_memstats_alloc_bytes_total")
	}
	return h, nil
}
